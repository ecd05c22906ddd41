"""A Chromium driven over the DevTools protocol on a pipe (--remote-debugging-pipe), with the
Python standard library only: headless, its own profile, killed by its PID at the end.

    with Browser() as b:
        page = b.open("file:///tmp/x.html")      # waits for the load event
        page.eval("document.title"); page.screenshot("x.png"); page.console  # errors seen"""
import base64, json, os, select, shutil, subprocess, tempfile, time


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


class Page:
    def __init__(self, browser, session):
        self.b, self.session = browser, session
        self.console = []          # console errors, exceptions, CSP and load failures

    def send(self, method, params=None, timeout=60):
        return self.b.call(method, params or {}, self.session, timeout)

    def eval(self, expr, timeout=60):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True}, timeout)
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluate failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, path, clip=None, full=True):
        params = {"format": "png", "captureBeyondViewport": full}
        if clip:
            params["clip"] = dict(clip, scale=1)
        data = self.send("Page.captureScreenshot", params, timeout=120)["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))


class Browser:
    def __init__(self, width=1280, height=900):
        self.exe = find_chromium()
        self.size = (width, height)
        self.proc = None

    def __enter__(self):
        if not self.exe:
            raise FileNotFoundError("chromium not installed")
        self.profile = tempfile.mkdtemp(prefix="why502-chromium-")
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def fds():  # the pipe protocol reads commands on fd 3 and writes on fd 4
            r, w = os.dup(to_chrome_r), os.dup(from_chrome_w)  # either may be 3 or 4 already
            os.dup2(r, 3)
            os.dup2(w, 4)

        args = [self.exe, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
                "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--disable-dev-shm-usage",
                f"--user-data-dir={self.profile}", f"--window-size={self.size[0]},{self.size[1]}",
                "--enable-logging=stderr", "--v=0", "about:blank"]
        self.log = open(os.path.join(self.profile, "stderr.log"), "wb")
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                                     preexec_fn=fds, pass_fds=(3, 4))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf, self.next_id, self.events = b"", 0, []
        return self

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            try:
                self.call("Browser.close", {}, None, timeout=5)
            except Exception:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()  # this Chromium only, by its PID
                self.proc.wait()
        for fd in (self.to_chrome, self.from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass
        self.log.close()
        shutil.rmtree(self.profile, ignore_errors=True)

    def _read(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.from_chrome], [], [], left)[0]:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self.from_chrome, 1 << 20)
            if not chunk:
                raise EOFError("chromium closed the pipe")
            self.buf += chunk
        msg, _, self.buf = self.buf.partition(b"\0")
        return json.loads(msg)

    def call(self, method, params, session=None, timeout=60):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            m = self._read(deadline)
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError(f"{method}: {m['error']}")
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method, session, timeout=60):
        deadline = time.monotonic() + timeout
        for i, m in enumerate(self.events):
            if m.get("method") == method and m.get("sessionId") == session:
                return self.events.pop(i)
        while True:
            m = self._read(deadline)
            if m.get("method") == method and m.get("sessionId") == session:
                return m
            self.events.append(m)

    def open(self, url, timeout=120):
        """A new tab on url; returns the Page once its load event fired, with page.load_s the
        time from navigation to the load event, measured by the browser."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.target = target
        for dom in ("Page.enable", "Runtime.enable", "Log.enable"):
            page.send(dom)
        page.send("Emulation.setDeviceMetricsOverride",
                  {"width": self.size[0], "height": self.size[1], "deviceScaleFactor": 1, "mobile": False})
        page.send("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired", session, timeout)
        page.load_s = page.eval("(performance.getEntriesByType('navigation')[0].loadEventEnd)/1000")
        page.console = self.errors(session)
        return page

    def close(self, page):
        self.call("Target.closeTarget", {"targetId": page.target})
        self.events = [m for m in self.events if m.get("sessionId") != page.session]

    def errors(self, session):
        """Console errors, uncaught exceptions and log entries of level error or warning seen so
        far in this tab (CSP violations are such entries)."""
        out = []
        for m in self.events:
            if m.get("sessionId") != session:
                continue
            meth, p = m.get("method"), m.get("params", {})
            if meth == "Runtime.exceptionThrown":
                out.append("exception: " + json.dumps(p.get("exceptionDetails", {}))[:300])
            elif meth == "Runtime.consoleAPICalled":
                out.append(f"console.{p.get('type')}: " + json.dumps(p.get("args", []))[:300])
            elif meth == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
                e = p["entry"]
                out.append(f"log {e.get('level')} {e.get('source')}: {e.get('text')}"[:400])
        return out
