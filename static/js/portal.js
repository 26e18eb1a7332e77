// The portal's only script, loaded from 'self' so the Content-Security-Policy needs no
// 'unsafe-inline'. Every page works without it; it adds:
// - the menu button of the compact header (narrow screens),
// - a question before a form with data-confirm="…" is sent,
// - day, month (Thai names) and พ.ศ. year lists beside each date box (data-be-date).
// It is loaded in <head> without defer: the class "js" is set before the first paint, so the
// collapsed menu never flashes open.
"use strict";
document.documentElement.classList.add("js");

document.addEventListener("submit", function (event) {
  var form = event.target;
  var message = form && form.getAttribute && form.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// The menu button: a real <button aria-expanded> that shows and hides the menu it controls.
// Escape closes the open menu and gives the focus back to the button.
function portalMenu() {
  var button = document.querySelector(".menu-toggle");
  var menu = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!menu) {
    return;
  }
  function setOpen(open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    menu.classList.toggle("open", open);
  }
  button.addEventListener("click", function () {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
      setOpen(false);
      button.focus();
    }
  });
}

// Dates: the text box takes วัน/เดือน/ปี พ.ศ. as typed (the server parses and checks it); three
// lists beside it fill it in, and follow what is typed. On leaving the box, a date the browser
// can read is rewritten as วว/ดด/ปปปป, so that "1/3/68" shows as 01/03/2568 before it is sent.
var THAI_MONTHS = ["มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
  "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม"];

function arabicDigits(text) {
  return text.replace(/[๐-๙]/g, function (d) { return String(d.charCodeAt(0) - 0x0e50); });
}

function parseBEDate(text) {
  var t = arabicDigits(text || "").trim();
  var m = t.match(/^(\d{1,2})(?:\s*[\/.\-]\s*|\s+)(\d{1,2})(?:\s*[\/.\-]\s*|\s+)(\d{2}|\d{4})$/) ||
    t.match(/^(\d{2})(\d{2})(\d{4}|\d{2})$/);
  if (!m) {
    return null;
  }
  var day = +m[1], month = +m[2], year = m[3].length === 2 ? 2500 + +m[3] : +m[3];
  if (year < 2400 || year > 2700 || month < 1 || month > 12 || day < 1 || day > daysIn(month, year)) {
    return null;
  }
  return {day: day, month: month, year: year};
}

function daysIn(month, beYear) {
  return new Date(beYear - 543, month, 0).getDate();
}

function pad(n) {
  return (n < 10 ? "0" : "") + n;
}

function makeSelect(id, labelText, options) {
  var wrap = document.createElement("span");
  var label = document.createElement("label");
  label.htmlFor = id;
  label.textContent = labelText;
  var select = document.createElement("select");
  select.id = id;
  options.forEach(function (o) {
    var opt = document.createElement("option");
    opt.value = o[0];
    opt.textContent = o[1];
    select.appendChild(opt);
  });
  wrap.appendChild(label);
  wrap.appendChild(select);
  return {wrap: wrap, select: select};
}

function enhanceDate(input) {
  var now = new Date().getFullYear() + 543;
  var min = parseBEDate(input.getAttribute("data-be-min"));
  var max = parseBEDate(input.getAttribute("data-be-max"));
  var first = min ? min.year : now - 5, last = max ? max.year : now + 1;
  var days = [["", "–"]], months = [["", "–"]], years = [["", "–"]];
  for (var d = 1; d <= 31; d++) { days.push([String(d), String(d)]); }
  THAI_MONTHS.forEach(function (name, i) { months.push([String(i + 1), name]); });
  for (var y = last; y >= first; y--) { years.push([String(y), String(y)]); }
  var group = document.createElement("div");
  group.className = "be-picker";
  group.setAttribute("role", "group");
  var labelEl = input.labels && input.labels[0];
  group.setAttribute("aria-label", "หรือเลือก" + (labelEl ? " " + labelEl.textContent.trim() : "วันที่"));
  var day = makeSelect(input.id + "-day", "วัน", days);
  var month = makeSelect(input.id + "-month", "เดือน", months);
  var year = makeSelect(input.id + "-year", "ปี พ.ศ.", years);
  [day, month, year].forEach(function (s) { group.appendChild(s.wrap); });
  input.insertAdjacentElement("afterend", group);

  function fromText() {
    var v = parseBEDate(input.value);
    if (!v) {
      return;
    }
    if (!year.select.querySelector('option[value="' + v.year + '"]')) {
      var opt = document.createElement("option");
      opt.value = opt.textContent = String(v.year);
      year.select.appendChild(opt);
    }
    day.select.value = String(v.day);
    month.select.value = String(v.month);
    year.select.value = String(v.year);
  }
  function fromLists() {
    var dd = +day.select.value, mm = +month.select.value, yy = +year.select.value;
    if (!dd || !mm || !yy) {
      return;
    }
    if (dd > daysIn(mm, yy)) {
      dd = daysIn(mm, yy);
      day.select.value = String(dd);
    }
    input.value = pad(dd) + "/" + pad(mm) + "/" + yy;
    input.dispatchEvent(new Event("input", {bubbles: true}));
  }
  [day, month, year].forEach(function (s) { s.select.addEventListener("change", fromLists); });
  input.addEventListener("input", fromText);
  input.addEventListener("change", function () {
    var v = parseBEDate(input.value);
    if (v) {
      input.value = pad(v.day) + "/" + pad(v.month) + "/" + v.year;
    }
  });
  fromText();
}

document.addEventListener("DOMContentLoaded", function () {
  portalMenu();
  Array.prototype.forEach.call(document.querySelectorAll("input[data-be-date]"), enhanceDate);
});
