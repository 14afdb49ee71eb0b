"""The vendor's cloud: registers a device (POST /devices with JSON) and says so."""
import json
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        if self.path != "/devices":
            self.send_error(404)
            return
        length = int(self.headers.get("Content-Length", "0"))
        device = json.loads(self.rfile.read(length) or b"{}")
        print("registered", device.get("deviceId"), "for", self.headers.get("Referer"), flush=True)
        body = json.dumps({"registered": True, "deviceId": device.get("deviceId"), "token": "t-42"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Set-Cookie", "session=abc; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = HTTPServer(("0.0.0.0", int(sys.argv[1])), Handler)
print("serving on", sys.argv[1], flush=True)
server.serve_forever()
