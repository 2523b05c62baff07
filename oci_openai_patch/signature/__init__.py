"""The OCI request signature: the signing string and RSA signature as pure functions, and the
RSA operation of async requests beside the event loop."""
