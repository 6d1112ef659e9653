// Optional: tick the countdown each second. Without JavaScript the page shows the time left when it was loaded.
(function () {
  var el = document.getElementById("countdown");
  if (!el) return;
  var left = parseInt(el.dataset.secondsLeft, 10), base = el.textContent.split(" · ")[0];
  var zh = document.documentElement.lang === "zh-CN";
  function fmt(s) {
    var a = Math.abs(s), h = Math.floor(a / 3600), m = Math.floor(a % 3600 / 60), sec = ("0" + a % 60).slice(-2);
    var t = zh ? (h ? h + " 小时 " : "") + m + " 分 " + sec + " 秒" : (h ? h + " h " : "") + m + " min " + sec + " s";
    return s < 0 ? (zh ? "已超时 " + t : t + " overdue") : (zh ? "剩余 " + t : t + " left");
  }
  setInterval(function () { left -= 1; el.textContent = base + " · " + fmt(left); if (left < 0) el.classList.add("late"); }, 1000);
})();
