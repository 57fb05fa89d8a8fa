#!/usr/bin/env python3
"""A loopback stand-in for AMD KDS (test_snp_cli.py): serves DIR/<path> for
GET /vcek/v1/... where <path> is the request path with '/' and '?' turned
into '_' (404 when missing), logs each request line to DIR/requests.log,
prints its port and serves until killed. Binds 127.0.0.1 only.

Usage: snp_kds_server.py DIR"""
import http.server
import os
import sys

ROOT = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(os.path.join(ROOT, 'requests.log'), 'a') as f:
            f.write(self.path + '\n')
        name = self.path.strip('/').replace('/', '_').replace('?', '_').replace('&', '_')
        path = os.path.join(ROOT, name)
        if not self.path.startswith('/vcek/v1/') or not os.path.isfile(path):
            self.send_response(404)
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        with open(path, 'rb') as f:
            body = f.read()
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
