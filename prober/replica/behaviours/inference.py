"""The inference hosts: DashScope's native and OpenAI-compatible paths, the Coding Plan hosts and the Token Plan
host's models, as the sources record them (docs/vendor.md#hosts-inference). Pure."""

from __future__ import annotations

import json
import uuid

from prober.replica.behaviours.common import (
    CODING_CN,
    CODING_INTL,
    DASHSCOPE_CN,
    DASHSCOPE_HK,
    DASHSCOPE_INTL,
    DASHSCOPE_US,
    GET,
    POST,
    TOKEN_PLAN_CN,
    TOKEN_PLAN_INTL,
    Answer,
    Behaviour,
    Request,
    bearer,
    diagnostic_headers,
    flat_invalid_key,
    is_coding_key,
    json_answer,
    not_found,
    request_id,
)


def _native_models(request: Request) -> Answer:
    if bearer(request) is None:
        return flat_invalid_key(401, "No API-key provided.")
    return flat_invalid_key(401, "Invalid API-key provided.")


def _payg_compatible_models(request: Request) -> Answer:
    key = bearer(request)
    if key is None:
        return flat_invalid_key(401, "No API-key provided.")
    if is_coding_key(key):
        envelope = {
            "error": {
                "message": "invalid api-key",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            },
            "request_id": request_id(),
        }
        return json_answer(403, envelope)
    return flat_invalid_key(401, "Invalid API-key provided.")


def anthropic_messages(request: Request) -> Answer:
    key = bearer(request) or request.headers.get("x-api-key") or None
    if not is_coding_key(key):
        error = {"type": "authentication_error", "message": "invalid access token or token expired"}
        return json_answer(401, {"type": "error", "error": error}, headers=diagnostic_headers())
    try:
        model = str(json.loads(request.body).get("model", "qwen3-coder-plus"))
    except (ValueError, AttributeError):
        model = "qwen3-coder-plus"
    message = {
        "id": f"msg_{uuid.uuid4().hex}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": "Hi"}],
        "stop_reason": "max_tokens",
        "stop_sequence": None,
        "usage": {"input_tokens": 1, "output_tokens": 1},
    }
    return json_answer(200, message, headers=diagnostic_headers())


def _openai_chat_completions(request: Request) -> Answer:
    if not is_coding_key(bearer(request)):
        envelope = {
            "error": {
                "message": "invalid access token or token expired",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            },
            "request_id": request_id(),
        }
        return json_answer(401, envelope, headers=diagnostic_headers())
    return json_answer(405, {"error": "Coding Plan is currently only available for Coding Agents"})


def _token_plan_models(request: Request) -> Answer:
    if bearer(request) is None:
        return flat_invalid_key(401, "No API-key provided.")
    return flat_invalid_key(401, "Invalid API-key provided.")


def _istio_not_found(_: Request) -> Answer:
    # docs/vendor.md#dashscope-tokenplan: an empty 404 from the Istio front, with or without a key.
    return Answer(status=404, content_type=None, headers=(("server", "istio-envoy"),))


BEHAVIOURS: tuple[Behaviour, ...] = (
    Behaviour(
        name="dashscope-native-not-found",
        hosts=frozenset({DASHSCOPE_INTL, DASHSCOPE_CN}),
        methods=GET,
        paths=("/api/v1/policies", "/api/v1/usage", "/api/v1/subscriptions"),
        source="CodexBar #612 table rows 1-3, 404 with a sk-sp key (docs/vendor.md#issue-612-table). CN twins "
        "mirror INTL: inferred, never observed. No body: #612 records only the status "
        "(docs/vendor.md#choice-bodies).",
        respond=not_found,
    ),
    Behaviour(
        name="dashscope-native-models-key-rejected",
        hosts=frozenset({DASHSCOPE_INTL, DASHSCOPE_CN}),
        methods=GET,
        paths=("/api/v1/models",),
        source="CodexBar #612 table row 4, '401 (key not accepted)' (docs/vendor.md#issue-612-table); flat "
        "InvalidApiKey bodies (docs/vendor.md#shape-flat). The replica holds no valid pay-as-you-go key, so "
        "every bearer key is rejected; CN twin inferred (docs/vendor.md#payg: a key the host does not take "
        "gets 401).",
        respond=_native_models,
    ),
    Behaviour(
        name="coding-not-found",
        hosts=frozenset({CODING_INTL, CODING_CN}),
        methods=GET,
        paths=("/compatible-mode/v1/usage", "/api/v1/quota", "/v1/models"),
        source="CodexBar #612 table rows 5-7, 404 with a sk-sp key (docs/vendor.md#issue-612-table). "
        "Conflict: a 200 without a key was reported on /v1/models (docs/vendor.md#conflict-coding-models); "
        "the bug report wins. CN twins inferred.",
        respond=not_found,
    ),
    Behaviour(
        name="coding-anthropic-messages",
        hosts=frozenset({CODING_INTL, CODING_CN}),
        methods=POST,
        paths=("/apps/anthropic/v1/messages",),
        source="CodexBar #612 section 4, Bearer sk-sp -> 200 with no x-ratelimit-* "
        "(docs/vendor.md#issue-612-inference); x-api-key accepted too, as Claude Code sends it (inferred, "
        "docs/vendor.md#coding-inference). Headers: docs/vendor.md#diagnostic-headers. 401 text from the "
        "Coding Plan FAQ (docs/vendor.md#errors-coding-plan); its body shape is unknown, the Anthropic "
        "envelope is the replica's choice (docs/vendor.md#choice-bodies).",
        respond=anthropic_messages,
    ),
    Behaviour(
        name="coding-openai-agent-gate",
        hosts=frozenset({CODING_INTL, CODING_CN}),
        methods=POST,
        paths=("/v1/chat/completions",),
        source="405 'only available for Coding Agents' (docs/vendor.md#agent-gate). Conflicts with #612's "
        "curl 200 on the anthropic path, so only this path is gated (docs/vendor.md#conflict-agent-gate). "
        "Key checked first (a sk- key gets 401 'invalid access token or token expired', "
        "docs/vendor.md#errors-coding-plan); that order and its envelope are chosen.",
        respond=_openai_chat_completions,
    ),
    Behaviour(
        name="payg-compatible-models",
        hosts=frozenset({DASHSCOPE_INTL, DASHSCOPE_CN, DASHSCOPE_US, DASHSCOPE_HK}),
        methods=GET,
        paths=("/compatible-mode/v1/models",),
        source="A sk-sp key on a general DashScope base URL -> 403 'invalid api-key' (docs/vendor.md#payg); "
        "the OpenAI envelope is chosen (docs/vendor.md#choice-bodies). Other keys 401 (docs/vendor.md#payg); "
        "no key -> flat 'No API-key provided.' (docs/vendor.md#shape-flat). US/HK/CN hosts inferred from the "
        "same FAQ line.",
        respond=_payg_compatible_models,
    ),
    Behaviour(
        name="token-plan-models",
        hosts=frozenset({TOKEN_PLAN_INTL, TOKEN_PLAN_CN}),
        methods=GET,
        paths=("/compatible-mode/v1/models",),
        source="No key or x-api-key -> 401 flat 'No API-key provided.' (docs/vendor.md#token-plan-inference, "
        "docs/vendor.md#x-api-key-note). Bearer key -> 401 'Invalid API-key provided.' is INFERRED (a Coding "
        "Plan key is not a Token Plan key; a CN key on the INTL host gets invalid_api_key).",
        respond=_token_plan_models,
    ),
    Behaviour(
        name="dashscope-tokenplan-not-found",
        hosts=frozenset({DASHSCOPE_CN, DASHSCOPE_INTL}),
        methods=GET,
        paths=("/api/v1/tokenplan",),
        prefix=True,
        source="An empty-body 404 from Istio with or without a key, although the docs list these paths "
        "(docs/vendor.md#dashscope-tokenplan, docs/vendor.md#conflict-dashscope-tokenplan). Seen on the Beijing "
        "host; the Singapore twin is inferred.",
        respond=_istio_not_found,
    ),
    Behaviour(
        name="dashscope-tasks-key-rejected",
        hosts=frozenset({DASHSCOPE_CN, DASHSCOPE_INTL}),
        methods=GET,
        paths=("/api/v1/tasks",),
        prefix=True,
        source="401 where /api/v1/tokenplan/* gave 404 (docs/vendor.md#dashscope-tokenplan); the replica holds no "
        "pay-as-you-go key, so no key gets the 200 UNKNOWN task (docs/vendor.md#payg). Flat bodies as for "
        "/api/v1/models (docs/vendor.md#shape-flat; chosen, the body is not quoted).",
        respond=_native_models,
    ),
)
