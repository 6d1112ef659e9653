"""DL/T 645-2007 frames: encode requests and replies, split a byte stream into frames, decode BCD values.

A frame is `68 A0..A5 68 C L DATA CS 16`: the address is 12 BCD digits sent lowest byte first, every
data byte is sent plus 0x33, and CS is the sum mod 256 of every byte from the first 68 to the last data
byte. A sender may put up to four FE bytes in front to wake the receiver; they are not part of the frame.
"""

from __future__ import annotations

from dataclasses import dataclass

from collectors.dlt645.config import DataItem

START, END, WAKE = 0x68, 0x16, 0xFE
READ_DATA, READ_ADDRESS = 0x11, 0x13
REPLY, ERROR_REPLY = 0x80, 0xC0  # bits added to a request's control code in a normal / error reply
WILDCARD_ADDRESS = "AAAAAAAAAAAA"  # every meter answers it; only for reading the address of a lone meter
WAKE_UP = bytes([WAKE] * 4)
HEADER = 10  # 68, six address bytes, 68, control code, length

ERROR_BITS = {
    0x01: "other error",
    0x02: "no such data",
    0x04: "wrong password or not authorised",
    0x08: "baud rate cannot be changed",
    0x10: "annual time zones exceeded",
    0x20: "daily time slots exceeded",
    0x40: "tariffs exceeded",
}


class FrameError(ValueError):
    """Bytes that are not a valid DL/T 645 frame (bad checksum, bad end byte, wrong length)."""


class BcdError(ValueError):
    """A value that is not packed BCD, or does not fit its size."""


@dataclass(frozen=True, slots=True)
class Frame:
    """A decoded frame: `data` has the 0x33 offset removed."""

    address: str
    control: int
    data: bytes = b""

    @property
    def is_error_reply(self) -> bool:
        return self.control & ERROR_REPLY == ERROR_REPLY

    def error_text(self) -> str:
        """What an error reply's error byte says, e.g. `error 0x02 (no such data)`."""
        code = self.data[0] if self.data else 0
        names = [name for bit, name in ERROR_BITS.items() if code & bit] or ["unknown"]
        return f"error 0x{code:02X} ({', '.join(names)})"


def address_bytes(address: str) -> bytes:
    """12 digits (or the wildcard) as the six address bytes, lowest two digits first."""
    if address.upper() == WILDCARD_ADDRESS:
        return bytes([0xAA] * 6)
    if len(address) != 12 or not address.isdigit():
        raise ValueError(f"address {address!r} is not 12 decimal digits")
    return bytes(int(address[i : i + 2], 16) for i in range(10, -1, -2))


def address_text(raw: bytes) -> str:
    """The six address bytes as the 12 characters printed on the meter."""
    return "".join(f"{b:02X}" for b in reversed(raw))


def checksum(body: bytes) -> int:
    return sum(body) & 0xFF


def encode(frame: Frame, *, wake_up: bool = True) -> bytes:
    """The frame's bytes, with the FE wake-up preamble unless `wake_up` is False."""
    if len(frame.data) > 255:
        raise ValueError(f"data of {len(frame.data)} bytes does not fit a frame (at most 255)")
    data = bytes((b + 0x33) & 0xFF for b in frame.data)
    body = bytes([START, *address_bytes(frame.address), START, frame.control, len(data), *data])
    return (WAKE_UP if wake_up else b"") + body + bytes([checksum(body), END])


def di_bytes(di: int) -> bytes:
    """A data identifier DI3DI2DI1DI0 as sent: DI0 first."""
    return di.to_bytes(4, "little")


def read_request(address: str, di: int) -> bytes:
    return encode(Frame(address, READ_DATA, di_bytes(di)))


def read_address_request() -> bytes:
    return encode(Frame(WILDCARD_ADDRESS, READ_ADDRESS))


def decode(raw: bytes) -> Frame:
    """One frame from its first 68 to its 16 (a leading FE preamble is allowed); `FrameError` says why not."""
    raw = raw.lstrip(bytes([WAKE]))
    if len(raw) < HEADER + 2 or raw[0] != START or raw[7] != START:
        raise FrameError(f"not a frame: {raw.hex(' ')}")
    length = raw[9]
    if len(raw) != HEADER + length + 2:
        raise FrameError(f"length byte says {length} data bytes, the frame has {len(raw) - HEADER - 2}")
    body, cs, end = raw[: HEADER + length], raw[-2], raw[-1]
    if end != END:
        raise FrameError(f"frame ends with 0x{end:02X}, not 0x16")
    if cs != checksum(body):
        raise FrameError(f"bad checksum 0x{cs:02X}, expected 0x{checksum(body):02X}")
    data = bytes((b - 0x33) & 0xFF for b in body[HEADER:])
    return Frame(address_text(raw[1:7]), raw[8], data)


class FrameSplitter:
    """Collects bytes as they arrive and hands out whole frames (not yet checked); noise before a 68 is dropped."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def feed(self, data: bytes) -> None:
        self.buffer += data

    def clear(self) -> None:
        self.buffer.clear()

    def next_frame(self) -> bytes | None:
        start = self.buffer.find(START)
        if start < 0:
            self.buffer.clear()
            return None
        del self.buffer[:start]
        if len(self.buffer) < HEADER:
            return None
        if self.buffer[7] != START:  # a stray 68 inside noise: look for the next one
            del self.buffer[:1]
            return self.next_frame()
        size = HEADER + self.buffer[9] + 2
        if len(self.buffer) < size:
            return None
        frame = bytes(self.buffer[:size])
        del self.buffer[:size]
        return frame


def decode_bcd(raw: bytes, item: DataItem) -> float:
    """A reply's value bytes (lowest byte first, offset already removed) in the item's unit."""
    if len(raw) != item.size:
        raise BcdError(f"{len(raw)} value byte(s) {raw.hex(' ')}, expected {item.size}")
    digits = bytearray(reversed(raw))
    negative = item.signed and bool(digits[0] & 0x80)
    if negative:
        digits[0] &= 0x7F
    text = digits.hex()
    if not text.isdigit():
        raise BcdError(f"value bytes {raw.hex(' ')} are not BCD")
    value = int(text) / float(10**item.decimals)
    return -value if negative else value


def encode_bcd(value: float, item: DataItem) -> bytes:
    """`value` as the item's BCD bytes, lowest byte first; `BcdError` if it does not fit."""
    scaled = round(abs(value) * 10**item.decimals)
    digits = item.size * 2
    limit = 10 ** (digits - 1) * 8 if item.signed else 10**digits  # a signed value keeps the top bit
    if scaled >= limit or (value < 0 and not item.signed):
        raise BcdError(f"{value} does not fit {item} ({item.size} BCD bytes, {item.decimals} decimals)")
    packed = bytearray(bytes.fromhex(f"{scaled:0{digits}d}"))
    if value < 0 and scaled:
        packed[0] |= 0x80
    return bytes(reversed(packed))
