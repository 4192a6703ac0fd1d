# Writes a one-page PDF whose Flate content stream inflates to SIZE_MIB MiB (text drawing
# "Hello", then spaces): about 1 MB on disk per GiB inflated. Used by hostile-extraction.test.ts.
#   python3 pdf-bomb.py OUT.pdf SIZE_MIB
import sys, zlib

out, size_mib = sys.argv[1], int(sys.argv[2])
compressor = zlib.compressobj(9)
parts = [compressor.compress(b"BT /F1 12 Tf 72 720 Td (Hello from a decompression bomb) Tj ET\n")]
block = b" " * (1 << 20)
for _ in range(size_mib):
    parts.append(compressor.compress(block))
parts.append(compressor.flush())
stream = b"".join(parts)

objects = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
    b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
]
pdf = bytearray(b"%PDF-1.7\n")
offsets = []
for number, body in enumerate(objects, start=1):
    offsets.append(len(pdf))
    pdf += b"%d 0 obj\n" % number + body + b"\nendobj\n"
xref = len(pdf)
pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
for offset in offsets:
    pdf += b"%010d 00000 n \n" % offset
pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
with open(out, "wb") as f:
    f.write(pdf)
