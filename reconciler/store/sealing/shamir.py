"""Shamir's secret sharing over GF(2^8), byte-compatible with Vault's `shamir` package.

Each byte of the secret is the constant term of its own random polynomial of degree
`threshold - 1`; share i holds that polynomial evaluated at x_i for every byte. Layout, as
Vault's: the y bytes, then one trailing byte x_i (distinct, random, never 0, because the
value at 0 is the secret itself).
"""

from __future__ import annotations

import secrets

_POLY = 0x11B  # the AES field polynomial x^8 + x^4 + x^3 + x + 1
_GENERATOR = 0x03  # a primitive element of that field: its powers cover every nonzero byte


def _tables() -> tuple[list[int], list[int]]:
    """Exponent and logarithm tables for multiplication by table lookup."""
    exp = [0] * 510
    log = [0] * 256
    value = 1
    for power in range(255):
        exp[power] = value
        log[value] = power
        # multiply by 3 = multiply by 2 (shift, reduce) then add (xor) the value itself
        doubled = value << 1
        if doubled & 0x100:
            doubled ^= _POLY
        value = doubled ^ value
    for power in range(255, 510):  # doubled so exp[log a + log b] needs no modulo
        exp[power] = exp[power - 255]
    return exp, log


_EXP, _LOG = _tables()


def _mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return _EXP[_LOG[a] + _LOG[b]]


def _div(a: int, b: int) -> int:
    if b == 0:
        raise ZeroDivisionError("division by zero in GF(256)")
    if a == 0:
        return 0
    return _EXP[_LOG[a] - _LOG[b] + 255]


def _evaluate(coefficients: list[int], x: int) -> int:
    """Horner's rule; coefficients[0] is the constant term."""
    result = 0
    for coefficient in reversed(coefficients):
        result = _mul(result, x) ^ coefficient
    return result


def _check_split(secret: bytes, shares: int, threshold: int) -> None:
    if not secret:
        raise ValueError("cannot split an empty secret")
    if shares < threshold:
        raise ValueError("shares cannot be less than threshold")
    if shares > 255:
        raise ValueError("shares cannot exceed 255")
    if threshold < 2:
        raise ValueError("threshold must be at least 2")
    if threshold > 255:
        raise ValueError("threshold cannot exceed 255")


def split(secret: bytes, shares: int, threshold: int) -> list[bytes]:
    """Split `secret` into `shares` parts, any `threshold` of which recover it.

    Each part is len(secret) + 1 bytes. Requires 2 <= threshold <= shares <= 255.
    """
    _check_split(secret, shares, threshold)
    # A random distinct x per share, as Vault does, so x says nothing about share order.
    xs = list(range(1, 256))
    for i in range(len(xs) - 1, 0, -1):
        j = secrets.randbelow(i + 1)
        xs[i], xs[j] = xs[j], xs[i]
    xs = xs[:shares]
    outputs = [bytearray(len(secret) + 1) for _ in range(shares)]
    for index, byte in enumerate(secret):
        coefficients = [byte] + [secrets.randbelow(256) for _ in range(threshold - 1)]
        for out, x in zip(outputs, xs, strict=True):
            out[index] = _evaluate(coefficients, x)
        coefficients[:] = [0] * threshold  # do not leave the secret byte in a live list
    for out, x in zip(outputs, xs, strict=True):
        out[-1] = x
    return [bytes(out) for out in outputs]


def _check_parts(parts: list[bytes]) -> list[int]:
    """Validate shapes; return the x-coordinates."""
    if len(parts) < 2:
        raise ValueError("less than two parts cannot be used to reconstruct the secret")
    length = len(parts[0])
    if length < 2:
        raise ValueError("parts must be at least two bytes")
    if any(len(part) != length for part in parts):
        raise ValueError("all parts must be the same length")
    xs = [part[-1] for part in parts]
    if 0 in xs:
        raise ValueError("a part has the invalid x-coordinate 0")
    if len(set(xs)) != len(xs):
        raise ValueError("duplicate part detected")
    return xs


def _lagrange_at_zero(xs: list[int]) -> list[int]:
    """Weights w_i with f(0) = sum w_i * f(x_i) for any polynomial of degree < len(xs)."""
    weights = []
    for i, xi in enumerate(xs):
        numerator, denominator = 1, 1
        for j, xj in enumerate(xs):
            if i != j:
                numerator = _mul(numerator, xj)  # (0 - xj) is xj in characteristic 2
                denominator = _mul(denominator, xi ^ xj)
        weights.append(_div(numerator, denominator))
    return weights


def combine(parts: list[bytes]) -> bytes:
    """Recover the secret from `threshold` or more parts made by `split`.

    Fewer parts than the threshold give a wrong value, not an error: the caller learns of it
    when the result fails to decrypt.
    """
    xs = _check_parts(parts)
    weights = _lagrange_at_zero(xs)
    secret = bytearray(len(parts[0]) - 1)
    for index in range(len(secret)):
        value = 0
        for part, weight in zip(parts, weights, strict=True):
            value ^= _mul(part[index], weight)
        secret[index] = value
    return bytes(secret)
