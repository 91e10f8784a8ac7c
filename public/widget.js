/* Loader for the live chat widget: one button; the widget itself loads in an iframe on the first click. */
(function (d) {
  var o = new URL(d.currentScript.src).origin, f, b = d.createElement("button");
  b.type = "button";
  b.textContent = "Chat with us";
  b.setAttribute("aria-expanded", "false");
  b.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:2147483647;padding:12px 18px;border:0;border-radius:24px;background:#2457d6;color:#fff;font:600 15px system-ui,sans-serif;cursor:pointer;box-shadow:0 2px 8px rgba(0,0,0,.25)";
  b.onclick = function () {
    if (!f) {
      f = d.createElement("iframe");
      f.title = "Live chat";
      f.src = o + "/widget?host=" + encodeURIComponent(location.href);
      f.style.cssText = "position:fixed;right:20px;bottom:76px;width:380px;height:560px;max-width:calc(100vw - 40px);max-height:calc(100vh - 96px);border:0;border-radius:12px;box-shadow:0 4px 24px rgba(0,0,0,.25);background:#fff;z-index:2147483647";
      d.body.appendChild(f);
    } else f.hidden = !f.hidden;
    b.setAttribute("aria-expanded", !f.hidden);
    b.textContent = f.hidden ? "Chat with us" : "Hide chat";
  };
  d.body.appendChild(b);
})(document);
