// waybill serve's fleet page: live updates only. Every page works
// without this script; it only follows a running job's output
// (GET /jobs/ID/events, server-sent events) on the job page.
// It never puts text into the page as HTML: lines go in as text nodes.
(function () {
  "use strict";
  function follow() {
    var out = document.getElementById("output");
    if (!out || out.getAttribute("data-live") !== "true" || !window.EventSource) {
      return;
    }
    var status = document.getElementById("job-status");
    var from = out.getAttribute("data-next") || "0";
    var source = new EventSource(out.getAttribute("data-events") + "?from=" + encodeURIComponent(from));
    function setStatus(text) {
      if (status) {
        status.textContent = text;
        status.setAttribute("data-status", text);
      }
    }
    source.addEventListener("line", function (e) {
      if (out.firstChild) {
        out.appendChild(document.createTextNode("\n"));
      }
      out.appendChild(document.createTextNode(e.data));
    });
    source.addEventListener("status", function (e) {
      setStatus(e.data);
    });
    source.addEventListener("end", function (e) {
      setStatus(e.data);
      source.close();
      out.setAttribute("data-live", "false");
      document.body.setAttribute("data-job-ended", e.data);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", follow);
  } else {
    follow();
  }
})();
