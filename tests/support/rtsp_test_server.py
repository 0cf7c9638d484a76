#!/usr/bin/python3
"""An RTSP camera for tests: GStreamer's RTSP server (python3-gi, gir1.2-gst-rtsp-server-1.0).

  rtsp_test_server.py --port=8554 [--source=pattern|audio|FILE.mp4] [--key_interval=25]

Serves rtsp://127.0.0.1:<port>/camera until killed. `pattern` is a live H.264 test pattern
(320x240, 25 frames/s, a keyframe every `key_interval` frames); `audio` is a live audio-only
stream (G.711 mu-law); anything else is an MP4 file with H.264 video, served at its own pace
until it ends. Each client gets its own pipeline, so every connection starts fresh.
"""

import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def launch_line(source, key_interval):
    if source == "pattern":
        return (
            "( videotestsrc is-live=true pattern=ball ! "
            "video/x-raw,width=320,height=240,framerate=25/1 ! "
            f"x264enc tune=zerolatency speed-preset=ultrafast key-int-max={key_interval} ! "
            "rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )
    if source == "audio":
        return "( audiotestsrc is-live=true ! mulawenc ! rtppcmupay name=pay0 pt=0 )"
    return (
        f"( filesrc location={source} ! qtdemux ! h264parse config-interval=-1 ! "
        "rtph264pay name=pay0 pt=96 )"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--source", default="pattern")
    parser.add_argument("--key_interval", type=int, default=25)
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(args.source, args.key_interval))
    factory.set_shared(False)
    server.get_mount_points().add_factory("/camera", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr)
        return 1

    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
