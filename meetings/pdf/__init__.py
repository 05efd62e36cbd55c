"""The PDF engine: safe intake, content-addressed storage and page images, as a library.

    intake.accept(path)            → Accepted(result, path, duplicate) or IntakeError(code)
    render.prefetch_first_pages()  → the first pages rendered in the background
    render.page_image(sha, n, w)   → the JPEG of page n at width w (200, 1024 or 2048), cached

Parsing and rendering never run in the server process: see sandbox.py. Caps: limits.py.
"""
