"""One exit code per error class (most specific first), with a hint for the user."""

from __future__ import annotations

from .. import _exceptions as e

# (error class, exit code, hint); {key_env} is the API's key variable.
EXIT_CODES: tuple[tuple[type[BaseException], int, str], ...] = (
    (e.MissingAPIKeyError, 3, "set {key_env} (or pass --base-url to a mock server and any key)"),
    (e.RequestValidationError, 4, "the request breaks a documented rule; nothing was sent"),
    (e.AuthenticationError, 5, "the server rejected the key: check {key_env}"),
    (e.InsufficientBalanceError, 6, "the account's balance or quota is used up"),
    (e.PermissionDeniedError, 7, "the key may not use this model"),
    (e.NotFoundError, 8, "no such endpoint or model at this base URL"),
    (e.RateLimitError, 9, "rate limited: retry later"),
    (e.BadRequestError, 10, "the server rejected the request"),
    (e.InternalServerError, 11, "the server failed: retry later"),
    (e.APIStatusError, 12, "the server reported an error"),
    (e.APITimeoutError, 13, "the request timed out (--timeout)"),
    (e.APIConnectionError, 14, "could not connect: check the base URL ({base_url_env})"),
    (e.APIResponseValidationError, 15, "the response does not match the spec"),
    (e.InsecureTransportError, 16, "use an https:// base URL (the key would travel in clear text)"),
    (e.InvalidArgumentError, 17, "check --base-url / {base_url_env} and --max-retries"),
)


def exit_code_for(error: BaseException) -> tuple[int, str]:
    for cls, code, hint in EXIT_CODES:
        if isinstance(error, cls):
            return code, hint
    return 1, "unexpected error"
