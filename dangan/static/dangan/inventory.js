// Inventory scanning (盘点): a USB barcode scanner types the archive number into the focused
// field and presses Enter; a phone reads the label's QR code with the camera where the
// browser has BarcodeDetector (else the field stays: type the number). Each scan is posted
// to the API; the answer is shown and the counts updated, and the field is ready again.
(function () {
  "use strict";
  var form = document.getElementById("scan-form");
  if (!form) return;
  var input = document.getElementById("scan-text");
  var result = document.getElementById("scan-result");
  var log = document.getElementById("scan-log");
  var busy = false;
  var queue = [];

  function show(kind, message) {
    result.hidden = false;
    result.className = "scan-result " + kind;
    result.textContent = message;
    var item = document.createElement("li");
    item.className = "scan-" + kind;
    item.textContent = new Date().toLocaleTimeString() + "  " + message;
    log.insertBefore(item, log.firstChild);
    while (log.children.length > 30) log.removeChild(log.lastChild);
  }

  function updateCounts(counts) {
    Object.keys(counts || {}).forEach(function (key) {
      var cell = document.querySelector("[data-count='" + key + "']");
      if (cell) cell.textContent = counts[key];
    });
  }

  function firstMessage(body) {
    if (!body || typeof body !== "object") return "";
    var keys = Object.keys(body);
    for (var i = 0; i < keys.length; i++) {
      var value = body[keys[i]];
      if (Array.isArray(value) && value.length) return String(value[0]);
      if (typeof value === "string") return value;
    }
    return "";
  }

  function send(text) {
    busy = true;
    fetch(form.action, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": form.dataset.csrf},
      body: JSON.stringify({text: text})
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, status: response.status, body: body}; },
        function () { return {ok: false, status: response.status, body: null}; });
    }).then(function (answer) {
      if (answer.ok) {
        show(answer.body.outcome, answer.body.message);
        updateCounts(answer.body.counts);
      } else {
        var message = firstMessage(answer.body) || ("HTTP " + answer.status);
        show(answer.status === 400 ? "duplicate" : "error", message);
      }
    }).catch(function () {
      show("error", form.dataset.offline || "网络错误,请重试");
    }).then(function () {
      busy = false;
      if (queue.length) send(queue.shift());
    });
  }

  function submit(text) {
    text = (text || "").trim();
    if (!text) return;
    // A scanner is faster than the network: keep the order, one request at a time.
    if (busy) queue.push(text); else send(text);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    submit(input.value);
    input.value = "";
    input.focus();
  });

  // The phone's camera, where the browser can read QR codes and barcodes itself.
  var cameraButton = document.getElementById("scan-camera-button");
  var cameraBox = document.getElementById("scan-camera");
  var video = document.getElementById("scan-video");
  var stopButton = document.getElementById("scan-camera-stop");
  var stream = null;
  var lastText = "";
  var lastAt = 0;
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  cameraButton.hidden = false;

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    cameraBox.hidden = true;
    input.focus();
  }

  cameraButton.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({formats: ["qr_code", "code_128"]});
    navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}}).then(function (s) {
      stream = s;
      video.srcObject = s;
      cameraBox.hidden = false;
      return video.play();
    }).then(function () {
      function tick() {
        if (!stream) return;
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            var text = codes[0].rawValue;
            var now = Date.now();
            // The same label in front of the camera is read many times a second: once.
            if (text !== lastText || now - lastAt > 3000) submit(text);
            lastText = text;
            lastAt = now;
          }
        }).catch(function () {}).then(function () { window.setTimeout(tick, 250); });
      }
      tick();
    }).catch(function (error) {
      show("error", String(error && error.message || error));
      stop();
    });
  });
  stopButton.addEventListener("click", stop);
})();
