"""A QR code for the app's address, so a class joins from their phones by pointing a camera.

Made with the `qrcode` library (Pillow backend). Error correction level M (15% of the
code may be unreadable) tolerates a projector's glare and low resolution; the quiet
zone is the standard's 4 modules (ISO/IEC 18004).
"""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M

MAX_URL_CHARS = 2000  # version 40-M holds 2,331 bytes; a share link with a spec stays well under 2,000
BOX_SIZE = 10  # px per module: a 33-module code (a ~60-character URL) is 410 px with its quiet zone
BORDER = 4  # modules of quiet zone, as the standard requires


def qr_image(url: str, box_size: int = BOX_SIZE):
    """A black-on-white QR code for `url` as a PIL image ("1" mode), `box_size` px per module.
    Raises ValueError (one line) for an empty URL or one over MAX_URL_CHARS characters."""
    url = (url or "").strip()
    if not url:
        raise ValueError("No address to put in the QR code.")
    if len(url) > MAX_URL_CHARS:
        raise ValueError(f"The address is {len(url)} characters; a QR code here holds at most {MAX_URL_CHARS}.")
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=BORDER)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image()


def qr_png(url: str, box_size: int = BOX_SIZE) -> bytes:
    """The QR code for `url` as PNG bytes (for st.image or a download button)."""
    buffer = io.BytesIO()
    qr_image(url, box_size).save(buffer, format="PNG")
    return buffer.getvalue()
