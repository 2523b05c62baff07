"""One signed request, from the http client's auth flow to the wire: the auth classes, the header
rules, model-deployment routing, redirects, websockets, errors as openai passes them on, and
the connections a forked child must not reuse."""
