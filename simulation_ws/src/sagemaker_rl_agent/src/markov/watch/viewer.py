"""The live viewer's web server: one page over a training's feed folder (`markov.watch.feed`).

`make_server(folder, host="127.0.0.1", port=8080)` returns a ThreadingHTTPServer;
`serve_forever()` it. Routes: `/` the page, `/state.json`, `/camera.jpg` (640x480),
`/policy.png` (what the policy sees, 160x120 grayscale), `/episodes.json` (the last
200 episodes), `/track.json` (road edges of the state's world). Every request for
live data touches the feed's `watching` file, which is what makes the training
write frames; with no browser polling, the training writes none.
"""
from __future__ import annotations

import json
import os
import time
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from markov.watch.feed import WATCHING

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>DeepRacer live viewer</title>
<style>body{font-family:sans-serif;background:#1e1e1e;color:#ddd;margin:12px}
.row{display:flex;gap:12px;flex-wrap:wrap}.box{background:#2a2a2a;padding:8px}
h3{margin:2px 0 6px;font-size:14px}#status{font-size:13px;white-space:pre}</style></head><body>
<div class="row"><div class="box"><h3>Camera (640x480)</h3><img id="camera" width="640" height="480"></div>
<div class="box"><h3>What the policy sees (160x120)</h3><img id="policy" width="160" height="120"
 style="image-rendering:pixelated;width:320px;height:240px"><div id="status">waiting for the training...</div></div></div>
<div class="row" style="margin-top:12px"><div class="box"><h3>Track</h3><canvas id="map" width="480" height="360"></canvas></div>
<div class="box"><h3>Reward (green) and progress % (blue) per episode</h3><canvas id="chart" width="640" height="360"></canvas></div></div>
<script>
let track=null, world=null, trail=[], last=null, episodes=[];
function fit(pts,w,h){let xs=pts.map(p=>p[0]),ys=pts.map(p=>p[1]);let x0=Math.min(...xs),x1=Math.max(...xs),y0=Math.min(...ys),y1=Math.max(...ys);
 let s=Math.min((w-20)/(x1-x0),(h-20)/(y1-y0));return p=>[10+(p[0]-x0)*s,h-10-(p[1]-y0)*s];}
function speedColour(v){let t=Math.max(0,Math.min(1,v/4));return `rgb(${Math.round(255*t)},${Math.round(80+120*(1-t))},${Math.round(255*(1-t))})`;}
function drawMap(){const c=document.getElementById('map'),g=c.getContext('2d');g.fillStyle='#333';g.fillRect(0,0,c.width,c.height);
 if(!track)return;const f=fit(track.left.concat(track.right),c.width,c.height);g.strokeStyle='#eee';g.lineWidth=2;
 for(const e of [track.left,track.right]){g.beginPath();e.forEach((p,i)=>{const q=f(p);i?g.lineTo(q[0],q[1]):g.moveTo(q[0],q[1]);});g.stroke();}
 g.lineWidth=3;for(let i=1;i<trail.length;i++){const a=f(trail[i-1]),b=f(trail[i]);g.strokeStyle=speedColour(trail[i][2]);g.beginPath();g.moveTo(a[0],a[1]);g.lineTo(b[0],b[1]);g.stroke();}
 if(last){const q=f([last.x,last.y]);g.fillStyle='#ff0000';g.beginPath();g.arc(q[0],q[1],7,0,2*Math.PI);g.fill();}}
function drawChart(){const c=document.getElementById('chart'),g=c.getContext('2d');g.fillStyle='#fff';g.fillRect(0,0,c.width,c.height);
 if(!episodes.length)return;const n=episodes.length,rs=episodes.map(e=>e.reward),rmax=Math.max(1,...rs),rmin=Math.min(0,...rs);
 const X=i=>30+i*(c.width-40)/Math.max(1,n-1);
 for(const [vals,lo,hi,col] of [[rs,rmin,rmax,'#2e7d32'],[episodes.map(e=>e.progress),0,100,'#1565c0']]){g.strokeStyle=col;g.lineWidth=2;g.beginPath();
  vals.forEach((v,i)=>{const y=c.height-20-(v-lo)/(hi-lo||1)*(c.height-40);i?g.lineTo(X(i),y):g.moveTo(X(i),y);});g.stroke();}
 g.fillStyle='#000';g.fillText(`${n} episodes, last reward ${rs[n-1].toFixed(1)}, progress ${episodes[n-1].progress.toFixed(1)}%`,34,14);}
async function tick(){try{const s=await (await fetch('/state.json',{cache:'no-store'})).json();
 if(s.world&&s.world!==world){world=s.world;track=await (await fetch('/track.json?world='+encodeURIComponent(world))).json();}
 if(s.tstamp!==undefined&&(!last||s.tstamp!==last.tstamp)){if(last&&s.episode!==last.episode)trail=[];trail.push([s.x,s.y,s.speed]);if(trail.length>200)trail.shift();last=s;
  const t=Date.now();document.getElementById('camera').src='/camera.jpg?t='+t;document.getElementById('policy').src='/policy.png?t='+t;
  document.getElementById('status').textContent=`episode ${s.episode} step ${s.steps}\\nprogress ${s.progress.toFixed(1)} %\\nspeed ${s.speed.toFixed(2)} m/s\\nsteering ${s.steer.toFixed(1)} deg\\nreward ${s.episode_reward.toFixed(2)}\\n${s.world}`;}
 episodes=await (await fetch('/episodes.json',{cache:'no-store'})).json();drawMap();drawChart();}catch(e){}
 setTimeout(tick,300);}
tick();
</script></body></html>
"""


@lru_cache(maxsize=8)
def track_json(world: str) -> bytes:
    """Road edges of `world` (from its route: inner and outer borders) as JSON."""
    from deepracer_simulation.routes import load_route
    route = load_route(world)
    return json.dumps({"world": world, "left": route[:, 2:4].round(3).tolist(),
                       "right": route[:, 4:6].round(3).tolist()}).encode()


def make_server(folder, host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    """An HTTP server of the viewer page over feed folder `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)  # the training feeds only an existing folder

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def _send(self, body: bytes, kind: str, code: int = 200):
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def _file(self, name, kind, default=None):
            try:
                return self._send((folder / name).read_bytes(), kind)
            except OSError:
                if default is not None:
                    return self._send(default, kind)
                return self._send(b"not yet", "text/plain", 404)

        def do_GET(self):
            path, _, query = self.path.partition("?")
            if path == "/":
                return self._send(PAGE.encode(), "text/html; charset=utf-8")
            _touch(folder / WATCHING)
            if path == "/state.json":
                return self._file("state.json", "application/json", b"{}")
            if path == "/camera.jpg":
                return self._file("camera.jpg", "image/jpeg")
            if path == "/policy.png":
                return self._file("policy.png", "image/png")
            if path == "/episodes.json":
                return self._send(_episodes(folder), "application/json")
            if path == "/track.json":
                world = dict(p.partition("=")[::2] for p in query.split("&")).get("world", "")
                from urllib.parse import unquote
                try:
                    return self._send(track_json(unquote(world)), "application/json")
                except ValueError as err:
                    return self._send(str(err).encode(), "text/plain", 404)
            return self._send(b"not found", "text/plain", 404)

    return ThreadingHTTPServer((host, port), Handler)


def _touch(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        os.utime(path, (time.time(), time.time()))
    except OSError:
        pass


def _episodes(folder: Path, last: int = 200) -> bytes:
    try:
        lines = (folder / "episodes.jsonl").read_text().splitlines()[-last:]
    except OSError:
        lines = []
    out = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:  # a line being appended right now
            pass
    return json.dumps(out).encode()
