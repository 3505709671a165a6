# The simulated rack's switch ports sending LLDP (see switch.ts):
#   python3 lldp-switch.py INTERVAL_SECONDS PARENT_PID LINK=FRAME_FILE...
# Every interval, each link sends the frame its file holds (hex; empty: unplugged, nothing sent).
# A link that is gone is dropped; with none left, or the rack's process gone, it exits.
import os
import signal
import socket
import sys
import time

# Ctrl-C reaches the whole terminal's group: the switch stays up until the rack tears it down (SIGTERM).
signal.signal(signal.SIGINT, signal.SIG_IGN)

interval, parent = float(sys.argv[1]), int(sys.argv[2])
ports = dict(arg.split("=", 1) for arg in sys.argv[3:])
sockets = {}

while ports and os.getppid() == parent:
    for link, frame_file in list(ports.items()):
        try:
            with open(frame_file) as f:
                frame = bytes.fromhex(f.read().strip())
        except (OSError, ValueError) as error:
            print(f"{link}: no frame ({error})", flush=True)
            continue
        if not frame:
            continue
        try:
            if link not in sockets:
                s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
                s.bind((link, 0))
                sockets[link] = s
            sockets[link].send(frame)
        except OSError as error:
            print(f"{link}: gone ({error}); no longer sending", flush=True)
            sockets.pop(link, None)
            del ports[link]
    time.sleep(interval)
