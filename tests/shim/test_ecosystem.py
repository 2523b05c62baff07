"""Libraries built on openai, unmodified, signed zero-code in fresh interpreters.

Each program is what an app using the library already contains; the only change is the
environment. The app keeps the OpenAI key it had (``OPENAI_API_KEY``): the test checks
that it never reaches the OCI endpoint, and the network guard of :mod:`fresh` that
nothing but loopback is contacted (LiteLLM's price-list download included).
"""

from __future__ import annotations

import importlib.util

import pytest
from fresh import clean_env, run_program

from oci_openai_patch.testing import ApiKeyProfile, OciTestEndpoint

pytestmark = pytest.mark.ecosystem

LEGACY_KEY = "sk-legacy-openai-key-of-the-app"


def _env(endpoint: OciTestEndpoint, profile: ApiKeyProfile, compartment_id: str) -> dict[str, str]:
    return clean_env(
        OCI_OPENAI_AUTH="user_principal",
        OCI_OPENAI_CONFIG_FILE=profile.config_file,
        OCI_OPENAI_HOSTS=endpoint.host,
        OCI_OPENAI_COMPARTMENT_ID=compartment_id,
        OPENAI_API_KEY=LEGACY_KEY,
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        LITELLM_TELEMETRY="False",
        HAYSTACK_TELEMETRY_ENABLED="False",
        OPENAI_AGENTS_DISABLE_TRACING="1",
    )


def _needs(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.fail(f"{module} is not installed; install the 'ecosystem' extra (make install does)")


def _check_signed(endpoint: OciTestEndpoint, count: int) -> None:
    assert len(endpoint.requests) == count
    for request in endpoint.requests:
        assert request.verified, request.reason
        assert request.target.endswith("/chat/completions")
        assert LEGACY_KEY not in " ".join(request.headers.values())
        assert "x-api-key" not in request.headers


def test_langchain_chat_openai_invoke_and_stream(oci_endpoint, oci_api_key_profile, compartment_id) -> None:  # type: ignore[no-untyped-def]
    _needs("langchain_openai")
    code = f"""
    import asyncio
    from langchain_openai import ChatOpenAI
    llm = ChatOpenAI(model="gpt-4o", base_url="{oci_endpoint.base_url}")
    print(llm.invoke("hello").content)
    print("".join(chunk.content for chunk in llm.stream("stream me")))
    async def main():
        print((await llm.ainvoke("async")).content)
    asyncio.run(main())
    """
    out = run_program(code, _env(oci_endpoint, oci_api_key_profile, compartment_id)).splitlines()
    assert out[0].endswith("You said: hello") and "stream me" in out[1] and out[2].endswith("async")
    _check_signed(oci_endpoint, 3)
    assert oci_endpoint.requests[1].json()["stream"] is True


def test_openai_agents_on_an_async_chat_completions_model(oci_endpoint, oci_api_key_profile, compartment_id) -> None:  # type: ignore[no-untyped-def]
    _needs("agents")
    code = f"""
    from openai import AsyncOpenAI
    from agents import Agent, OpenAIChatCompletionsModel, Runner, set_tracing_disabled
    set_tracing_disabled(True)
    model = OpenAIChatCompletionsModel(model="m", openai_client=AsyncOpenAI(base_url="{oci_endpoint.base_url}"))
    agent = Agent(name="assistant", instructions="Be brief.", model=model)
    print(Runner.run_sync(agent, "hello agent").final_output)
    """
    out = run_program(code, _env(oci_endpoint, oci_api_key_profile, compartment_id))
    assert out.strip().endswith("You said: hello agent")
    _check_signed(oci_endpoint, 1)


def test_openai_agents_on_a_responses_model(oci_endpoint, oci_api_key_profile, compartment_id) -> None:  # type: ignore[no-untyped-def]
    _needs("agents")
    code = f"""
    from openai import AsyncOpenAI
    from agents import Agent, OpenAIResponsesModel, Runner, set_tracing_disabled
    set_tracing_disabled(True)
    model = OpenAIResponsesModel(model="m", openai_client=AsyncOpenAI(base_url="{oci_endpoint.base_url}"))
    agent = Agent(name="assistant", instructions="Be brief.", model=model)
    print(Runner.run_sync(agent, "hello responses").final_output)

    async def streamed():
        from openai.types.responses import ResponseTextDeltaEvent

        # A client per event loop: httpx2's pool belongs to the loop that opened it.
        client = AsyncOpenAI(base_url="{oci_endpoint.base_url}")
        model = OpenAIResponsesModel(model="m", openai_client=client)
        result = Runner.run_streamed(Agent(name="assistant", instructions="Be brief.", model=model), "hello stream")
        deltas = [
            event.data.delta
            async for event in result.stream_events()
            if event.type == "raw_response_event" and isinstance(event.data, ResponseTextDeltaEvent)
        ]
        print(len(deltas), result.final_output)

    import asyncio
    asyncio.run(streamed())
    """
    out = run_program(code, _env(oci_endpoint, oci_api_key_profile, compartment_id))
    assert "hello responses" in out
    count, _, final = out.strip().splitlines()[-1].partition(" ")
    assert int(count) > 3 and final.endswith("You said: hello stream")  # streamed as SSE, word by word
    assert len(oci_endpoint.requests) == 2 and all(r.verified for r in oci_endpoint.requests)
    assert all(r.target.endswith("/responses") for r in oci_endpoint.requests)
    assert LEGACY_KEY not in " ".join(v for r in oci_endpoint.requests for v in r.headers.values())


def test_litellm_openai_compatible_route(oci_endpoint, oci_api_key_profile, compartment_id) -> None:  # type: ignore[no-untyped-def]
    _needs("litellm")
    code = f"""
    import litellm
    messages = [{{"role": "user", "content": "hello litellm"}}]
    reply = litellm.completion(model="openai/m", api_base="{oci_endpoint.base_url}", messages=messages)
    print(reply.choices[0].message.content)
    """
    out = run_program(code, _env(oci_endpoint, oci_api_key_profile, compartment_id))
    assert out.strip().endswith("You said: hello litellm")
    _check_signed(oci_endpoint, 1)
    assert oci_endpoint.requests[0].headers["compartmentid"] == compartment_id


def _openai_major() -> int:
    import openai

    return int(openai.__version__.split(".")[0])


def test_pydantic_ai_chat_and_responses_across_loops(oci_endpoint, oci_api_key_profile, compartment_id) -> None:  # type: ignore[no-untyped-def]
    """pydantic-ai gives its AsyncOpenAI a new http client when it is entered again
    after its client was closed (each ``async with agent`` in a new ``asyncio.run``)."""
    if _openai_major() < 3:
        pytest.skip("pydantic-ai's OpenAI models need openai 3.x")
    _needs("pydantic_ai")
    code = f"""
    import asyncio
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
    from pydantic_ai.providers.openai import OpenAIProvider
    for Model in (OpenAIChatModel, OpenAIResponsesModel):
        agent = Agent(Model("m", provider=OpenAIProvider(base_url="{oci_endpoint.base_url}")))
        async def once(prompt):
            async with agent:
                return (await agent.run(prompt)).output
        print(asyncio.run(once("first")))
        print(asyncio.run(once("second")))
        print(Agent(Model("m", provider=OpenAIProvider(base_url="{oci_endpoint.base_url}"))).run_sync("third").output)
    """
    out = run_program(code, _env(oci_endpoint, oci_api_key_profile, compartment_id)).splitlines()
    assert len(out) == 6 and "second" in out[1] and "second" in out[4]
    assert len(oci_endpoint.requests) == 6
    for request in oci_endpoint.requests:
        assert request.verified, request.reason
        assert LEGACY_KEY not in " ".join(request.headers.values())
    targets = [r.target.rsplit("/", 1)[-1] for r in oci_endpoint.requests]
    assert targets == ["completions"] * 3 + ["responses"] * 3


def test_instructor_probing_openai_with_find_spec(oci_endpoint, oci_api_key_profile, compartment_id) -> None:  # type: ignore[no-untyped-def]
    """instructor probes optional providers with ``find_spec`` before importing openai."""
    if _openai_major() >= 3:
        pytest.skip("instructor pins jiter<0.15, which openai 3.x excludes; tested with openai 2.x")
    _needs("instructor")
    code = f"""
    import importlib.util
    importlib.util.find_spec("openai")
    import instructor
    from openai import OpenAI
    client = instructor.from_openai(OpenAI(base_url="{oci_endpoint.base_url}"))
    reply = client.chat.completions.create(
        model="m", response_model=None, messages=[{{"role": "user", "content": "hello instructor"}}]
    )
    print(reply.choices[0].message.content)
    """
    out = run_program(code, _env(oci_endpoint, oci_api_key_profile, compartment_id))
    assert out.strip().endswith("You said: hello instructor")
    _check_signed(oci_endpoint, 1)


def test_dspy_through_litellm(oci_endpoint, oci_api_key_profile, compartment_id, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """dspy's LiteLLM engine goes through the openai SDK and is signed."""
    if _openai_major() < 3:
        pytest.skip("dspy is installed with openai 3.x (make install)")
    _needs("dspy")
    code = f"""
    import dspy
    lm = dspy.LM("openai/m", api_base="{oci_endpoint.base_url}", cache=False, engine="litellm")
    print(lm("hello dspy")[0])
    """
    env = dict(_env(oci_endpoint, oci_api_key_profile, compartment_id), DSPY_CACHEDIR=str(tmp_path))
    out = run_program(code, env)
    assert out.strip().endswith("You said: hello dspy")
    _check_signed(oci_endpoint, 1)


def test_dspy_on_its_default_engine(oci_endpoint, oci_api_key_profile, compartment_id, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """dspy 3.4's default engine (lm15) speaks HTTP/1.1 on its own sockets, not through
    openai: the lm15 route signs it, sync and async, and the app's key never arrives."""
    if _openai_major() < 3:
        pytest.skip("dspy is installed with openai 3.x (make install)")
    _needs("dspy")
    code = f"""
    import asyncio, dspy
    lm = dspy.LM("openai/m", api_base="{oci_endpoint.base_url}", cache=False)
    print(lm("hello dspy")[0])
    print(asyncio.run(lm.acall("hello async dspy"))[0])
    """
    env = dict(_env(oci_endpoint, oci_api_key_profile, compartment_id), DSPY_CACHEDIR=str(tmp_path))
    out = run_program(code, env).strip().splitlines()
    assert out[0].endswith("You said: hello dspy") and out[1].endswith("You said: hello async dspy"), out
    _check_signed(oci_endpoint, 2)


def test_haystack_openai_chat_generator(oci_endpoint, oci_api_key_profile, compartment_id) -> None:  # type: ignore[no-untyped-def]
    if _openai_major() < 3:
        pytest.skip("haystack-ai is installed with openai 3.x (make install)")
    _needs("haystack")
    code = f"""
    from haystack.components.generators.chat import OpenAIChatGenerator
    from haystack.dataclasses import ChatMessage
    generator = OpenAIChatGenerator(model="m", api_base_url="{oci_endpoint.base_url}")
    print(generator.run([ChatMessage.from_user("hello haystack")])["replies"][0].text)
    """
    out = run_program(code, _env(oci_endpoint, oci_api_key_profile, compartment_id))
    assert out.strip().endswith("You said: hello haystack")
    _check_signed(oci_endpoint, 1)


def test_llama_index_openai_and_openai_like(oci_endpoint, oci_api_key_profile, compartment_id) -> None:  # type: ignore[no-untyped-def]
    if _openai_major() >= 3:
        pytest.skip("llama-index-llms-openai pins openai<3; tested with openai 2.x")
    _needs("llama_index.llms.openai_like")
    code = f"""
    from llama_index.llms.openai import OpenAI
    from llama_index.llms.openai_like import OpenAILike
    print(OpenAI(model="gpt-4o", api_base="{oci_endpoint.base_url}").complete("hello llama").text)
    like = OpenAILike(model="m", api_base="{oci_endpoint.base_url}", is_chat_model=True)
    print(like.complete("hello like").text)
    """
    out = run_program(code, _env(oci_endpoint, oci_api_key_profile, compartment_id)).splitlines()
    assert out[0].endswith("You said: hello llama") and out[1].endswith("You said: hello like")
    _check_signed(oci_endpoint, 2)
