// Keeps the live elevator board current: reads /console/live.json every few seconds and updates each card.
// Without this script the page is still right as served; a failed poll leaves the last values and tries again.
(function () {
  "use strict";
  var list = document.getElementById("cars");
  if (!list) { return; }
  var every = (parseInt(list.getAttribute("data-poll"), 10) || 5) * 1000;
  var arrows = { up: "\u25B2", down: "\u25BC" };
  function set(card, name, text) {
    var el = card.querySelector('[data-f="' + name + '"]');
    if (el && el.textContent !== text) { el.textContent = text; }
  }
  function apply(body) {
    body.cars.forEach(function (car) {
      var card = document.getElementById("car-" + car.id);
      if (!card) { return; }
      set(card, "floor", car.floor);
      set(card, "direction", arrows[car.direction] || "\u25A0");
      set(card, "state", car.state);
      set(card, "door", car.door);
      set(card, "last_seen", car.last_seen);
      set(card, "online", car.online ? body.words.online : body.words.offline);
      card.classList.toggle("stale", !car.online);
      var order = card.querySelector('[data-f="order"]');
      if (order) {
        order.textContent = "";
        if (car.order) {
          var a = document.createElement("a");
          a.href = "/console/orders/" + encodeURIComponent(car.order);
          a.textContent = car.order;
          order.appendChild(a);
        } else { order.textContent = "\u2014"; }
      }
    });
    var stamp = document.getElementById("live-updated");
    if (stamp) { stamp.textContent = new Date().toTimeString().slice(0, 8); }
  }
  function poll() {
    fetch("/console/live.json", { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) { apply(body); } })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { window.setTimeout(poll, every); });
  }
  window.setTimeout(poll, every);
}());
