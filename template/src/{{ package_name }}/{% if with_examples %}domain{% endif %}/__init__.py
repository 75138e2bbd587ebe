"""The example domain: products and orders, on the three database paths of decision 1.

Functions here take a session and know nothing of HTTP; the routes in `api/v1/` choose which
path (write, consistent read, eventual read) each operation runs on.
"""
