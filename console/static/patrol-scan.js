// Scans a checkpoint's QR code with the phone's camera where the browser can (BarcodeDetector); everywhere else
// the button stays hidden and the walker types the short code printed under the label.
(function () {
  "use strict";
  var button = document.getElementById("scan");
  var video = document.getElementById("scan-video");
  var input = document.getElementById("code");
  if (!button || !video || !input || !("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
      video.srcObject = stream;
      video.hidden = false;
      video.play();
      var look = function () {
        detector.detect(video).then(function (codes) {
          if (codes.length) {
            stream.getTracks().forEach(function (track) { track.stop(); });
            // A label holds a link (…/console/patrols/at/<code>) or, printed without a public URL, the bare code.
            var link = /\/console\/patrols\/at\/([^/?#]+)/.exec(codes[0].rawValue);
            var value = codes[0].rawValue;
            try { value = link ? decodeURIComponent(link[1]) : value; } catch (e) { /* a bad escape: the raw text */ }
            input.value = value;
            input.form.submit();
          } else {
            window.requestAnimationFrame(look);
          }
        }, function () { window.requestAnimationFrame(look); });
      };
      look();
    }, function () { button.hidden = true; });  // no permission or no camera: type the code
  });
})();
