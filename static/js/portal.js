// The portal's only script, loaded from 'self' so the Content-Security-Policy needs no
// 'unsafe-inline'. Every page works without it; it adds:
// - the menu button of the compact header (narrow screens),
// - a question before a form (or through a button) with data-confirm="…" is sent,
// - day, month (Thai names) and พ.ศ. year lists beside each date box (data-be-date),
// - drafts: what is typed into a form with data-autosave is kept in this browser until it is saved,
// - photo boxes (data-max-bytes): size and type checked before sending, several photos in one
//   pick spread over the slots, and on phones a button that opens the camera.
// It is loaded in <head> without defer: the class "js" is set before the first paint, so the
// collapsed menu never flashes open.
"use strict";
document.documentElement.classList.add("js");

document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var message = (button && button.getAttribute("data-confirm")) || (form && form.getAttribute && form.getAttribute("data-confirm"));
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
  group.setAttribute("aria-label", "หรือเลือกจากรายการ วัน เดือน ปี พ.ศ.");
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

// Drafts: the text of a form marked data-autosave is kept in localStorage under the user and the form's URL
// while the person types, so that a session that expired meanwhile loses nothing: after logging
// in again the form comes back with the text put back and a notice. A draft goes when the form is
// saved (the page after sending it shows a success message), when its person discards it, when
// anyone logs out on this browser (shared computers), or after DRAFT_DAYS. Files and hidden
// fields are not kept.
var DRAFT_PREFIX = "ita-draft:";
var DRAFT_PENDING = "ita-draft-sent";
var DRAFT_DAYS = 7;

function storage(kind) {
  try {
    var s = window[kind];
    s.setItem("ita-probe", "1");
    s.removeItem("ita-probe");
    return s;
  } catch (e) {
    return null;  // private mode or storage turned off: forms work as before
  }
}

function draftFields(form) {
  return Array.prototype.filter.call(form.elements, function (el) {
    return el.name && !el.disabled && el.name !== "csrfmiddlewaretoken" &&
      ["file", "hidden", "password", "submit", "button"].indexOf(el.type) < 0;
  });
}

function draftRead(form) {
  var values = {};
  draftFields(form).forEach(function (el) {
    if ((el.type === "checkbox" || el.type === "radio") && !el.checked) {
      values[el.name] = values[el.name] || [];
      return;
    }
    values[el.name] = (values[el.name] || []).concat([el.value]);
  });
  return values;
}

function draftWrite(form, values) {
  draftFields(form).forEach(function (el) {
    var wanted = values[el.name];
    if (!wanted) {
      return;
    }
    if (el.type === "checkbox" || el.type === "radio") {
      el.checked = wanted.indexOf(el.value) >= 0;
    } else if (el.multiple) {
      Array.prototype.forEach.call(el.options, function (o) { o.selected = wanted.indexOf(o.value) >= 0; });
    } else {
      el.value = wanted[0] || "";
    }
    el.dispatchEvent(new Event("input", {bubbles: true}));
  });
}

function sameValues(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function draftNotice(form, key, saved, local) {
  var notice = document.createElement("div");
  notice.className = "draft-notice";
  notice.setAttribute("role", "status");
  var when = new Date(saved.at);
  var text = document.createElement("p");
  text.textContent = "นำข้อความที่คุณพิมพ์ไว้เมื่อ " + when.toLocaleString("th-TH", {dateStyle: "medium", timeStyle: "short"}) +
    " (ยังไม่ได้บันทึก) กลับมาใส่ในแบบฟอร์มแล้ว กรุณาตรวจสอบ แล้วกด “บันทึก”";
  var discard = document.createElement("button");
  discard.type = "button";
  discard.className = "btn secondary";
  discard.textContent = "ไม่ใช้ข้อความนี้";
  discard.addEventListener("click", function () {
    local.removeItem(key);
    window.location.reload();
  });
  notice.appendChild(text);
  notice.appendChild(discard);
  form.insertAdjacentElement("beforebegin", notice);
}

function portalDrafts() {
  var local = storage("localStorage"), session = storage("sessionStorage");
  if (!local || !session) {
    return;
  }
  // The page after a form was sent: a success message means it was saved.
  var sent = session.getItem(DRAFT_PENDING);
  if (sent && document.querySelector(".messages li.success")) {
    local.removeItem(sent);
    session.removeItem(DRAFT_PENDING);
  }
  var loginForm = document.querySelector("form[data-login]");
  var form = document.querySelector("form[data-autosave]");
  if (loginForm && Object.keys(local).some(function (k) { return k.indexOf(DRAFT_PREFIX) === 0; })) {
    var note = document.createElement("p");
    note.className = "draft-notice";
    note.setAttribute("role", "status");
    note.textContent = "ข้อความที่คุณพิมพ์ไว้แต่ยังไม่ได้บันทึกยังเก็บอยู่ในเครื่องนี้ เข้าสู่ระบบอีกครั้งแล้วระบบจะนำกลับมาใส่ในแบบฟอร์มให้";
    loginForm.insertAdjacentElement("beforebegin", note);
  }
  if (!form) {
    return;
  }
  // One person's draft is never offered to another who signs in on the same browser.
  var key = DRAFT_PREFIX + (document.body.getAttribute("data-user") || "") + ":" + window.location.pathname;
  var saved = null;
  try {
    saved = JSON.parse(local.getItem(key) || "null");
  } catch (e) {
    saved = null;
  }
  if (saved && Date.now() - saved.at > DRAFT_DAYS * 86400000) {
    local.removeItem(key);
    saved = null;
  }
  if (saved && !sameValues(saved.values, draftRead(form))) {
    draftWrite(form, saved.values);
    draftNotice(form, key, saved, local);
  }
  var timer = null;
  function keep() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      try {
        local.setItem(key, JSON.stringify({at: Date.now(), values: draftRead(form)}));
      } catch (e) {
        // storage full: nothing more to do
      }
    }, 300);
  }
  form.addEventListener("input", keep);
  form.addEventListener("change", keep);
  form.addEventListener("submit", function () {
    window.clearTimeout(timer);
    local.setItem(key, JSON.stringify({at: Date.now(), values: draftRead(form)}));
    session.setItem(DRAFT_PENDING, key);
  });
}

// Logging out on a shared computer leaves no one's drafts behind.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form && form.action && /\/logout\/$/.test(form.action)) {
    var local = storage("localStorage");
    if (local) {
      Object.keys(local).filter(function (k) { return k.indexOf(DRAFT_PREFIX) === 0; })
        .forEach(function (k) { local.removeItem(k); });
    }
  }
});

// After a refused save the page opens on the list of what to fix, and each of its links puts the
// focus in the field it names (a plain link would only scroll there).
function portalErrorSummary() {
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) {
    return;
  }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    var target = link && document.getElementById(link.getAttribute("href").slice(1));
    if (!target) {
      return;
    }
    event.preventDefault();
    var field = target.matches("input, select, textarea") ? target : target.querySelector("input, select, textarea");
    (field || target).focus();
    (target.closest(".field") || target).scrollIntoView({block: "center"});
  });
}

// Photo boxes. The server checks every file again; this only spares a long upload that would be
// refused (a 23 MB photo on a slow line) and saves picking photos one by one.
function formatMB(bytes) {
  return (bytes / 1048576).toFixed(1) + " MB";
}

function photoProblem(file, input) {
  var max = +input.getAttribute("data-max-bytes");
  var accept = (input.getAttribute("accept") || "").split(",").filter(Boolean);
  if (file.type && accept.length && accept.indexOf(file.type) < 0) {
    return "“" + file.name + "” ไม่ใช่ไฟล์ภาพ JPEG, PNG หรือ WebP";
  }
  if (max && file.size > max) {
    return "“" + file.name + "” มีขนาด " + formatMB(file.size) + " ใหญ่เกินกำหนด (ไม่เกิน " + formatMB(max) +
      " ต่อภาพ) กรุณาย่อภาพหรือเลือกภาพอื่น";
  }
  return null;
}

function showPhotoProblems(input, problems) {
  var box = input.parentNode.querySelector(".photo-problem");
  if (!problems.length) {
    if (box) { box.remove(); }
    return;
  }
  if (!box) {
    box = document.createElement("p");
    box.className = "errorlist photo-problem";
    box.setAttribute("role", "alert");
    input.insertAdjacentElement("afterend", box);
  }
  box.textContent = problems.join(" · ");
}

function setFiles(input, files) {
  var dt = new DataTransfer();
  files.forEach(function (f) { dt.items.add(f); });
  input.files = dt.files;
}

function portalPhotos() {
  var inputs = document.querySelectorAll("input[type=file][data-max-bytes]");
  if (!inputs.length || typeof DataTransfer === "undefined") {
    return;
  }
  var form = inputs[0].form;
  var total = form && form.querySelector("input[name$='-TOTAL_FORMS'][name^='photo']");
  var maxForms = form && form.querySelector("input[name$='-MAX_NUM_FORMS'][name^='photo']");

  function slots() {
    return Array.prototype.slice.call(form.querySelectorAll("input[type=file][data-max-bytes]"));
  }
  function addSlot() {
    var all = slots();
    var n = all.length;
    if (!total || !maxForms || n >= +maxForms.value) {
      return null;
    }
    var row = all[n - 1].closest(".grid");
    var copy = row.cloneNode(true);
    Array.prototype.forEach.call(copy.querySelectorAll("[id], [for], [name]"), function (el) {
      ["id", "for", "name"].forEach(function (attr) {
        var v = el.getAttribute(attr);
        if (v) { el.setAttribute(attr, v.replace("-" + (n - 1) + "-", "-" + n + "-")); }
      });
      if (el.value !== undefined && el.type !== "file") { el.value = ""; }
    });
    Array.prototype.forEach.call(copy.querySelectorAll(".photo-problem, .errorlist, .file-button, .file-name"), function (el) {
      el.remove();
    });
    row.insertAdjacentElement("afterend", copy);
    total.value = String(n + 1);
    var input = copy.querySelector("input[type=file]");
    prepare(input);
    return input;
  }
  // Put picked files into slots: the first into the box they were picked in, the others into the
  // empty boxes after it (then before it, then new boxes up to the form's maximum).
  function place(input, files) {
    var problems = [], good = [];
    files.forEach(function (f) {
      var p = photoProblem(f, input);
      if (p) { problems.push(p); } else { good.push(f); }
    });
    var all = slots(), at = all.indexOf(input);
    var free = [input].concat(all.slice(at + 1), all.slice(0, at).reverse()).filter(function (s) {
      return s === input || !s.files.length;
    });
    setFiles(input, []);
    var used = [];
    for (var k = 0; k < good.length; k++) {
      var slot = free.shift() || addSlot();
      if (!slot) {
        problems.push("แนบได้ไม่เกิน " + slots().length + " ภาพต่อครั้ง: ไม่ได้แนบ " + (good.length - k) + " ภาพ");
        break;
      }
      setFiles(slot, [good[k]]);
      used.push(slot);
    }
    showPhotoProblems(input, problems);
    slots().forEach(function (s) { s.dispatchEvent(new Event("files-placed")); });
    var note = document.getElementById("photo-placed");
    if (note && used.length > 1) {
      note.textContent = "แนบแล้ว " + used.length + " ภาพ ในช่องที่ " + used.map(function (t) {
        return slots().indexOf(t) + 1;
      }).join(", ") + " — ใส่คำบรรยายแต่ละภาพได้";
    }
  }
  // The browser's own file button is small and speaks the browser's language: a Thai one, 44 px
  // high, labels the (still focusable) box, with the chosen file's name beside it.
  function prepare(input) {
    input.multiple = true;
    input.classList.add("file-box");
    var button = document.createElement("label");
    button.htmlFor = input.id;
    button.className = "btn secondary file-button";
    button.textContent = "เลือกภาพ";
    var name = document.createElement("span");
    name.className = "file-name";
    name.textContent = "ยังไม่ได้เลือกภาพ";
    input.insertAdjacentElement("afterend", name);
    input.insertAdjacentElement("afterend", button);
    function showName() {
      name.textContent = input.files.length ? Array.prototype.map.call(input.files, function (f) {
        return f.name + " (" + formatMB(f.size) + ")";
      }).join(", ") : "ยังไม่ได้เลือกภาพ";
    }
    input.addEventListener("change", function () {
      place(input, Array.prototype.slice.call(input.files));
    });
    input.addEventListener("files-placed", showName);
  }
  Array.prototype.forEach.call(inputs, prepare);
  var limits = document.getElementById("photo-limits");
  if (limits) {
    var placed = document.createElement("p");
    placed.id = "photo-placed";
    placed.className = "helptext";
    placed.setAttribute("role", "status");
    limits.insertAdjacentElement("afterend", placed);
    limits.appendChild(document.createTextNode(" เลือกได้หลายภาพพร้อมกัน"));
  }
  // Phones: a button that opens the camera straight away (the boxes offer camera or gallery).
  if (limits && window.matchMedia && window.matchMedia("(pointer: coarse)").matches) {
    var label = document.createElement("label");
    label.className = "btn secondary camera";
    label.textContent = "ถ่ายภาพด้วยกล้อง";
    var camera = document.createElement("input");
    camera.type = "file";
    camera.accept = inputs[0].getAttribute("accept");
    camera.setAttribute("capture", "environment");
    camera.className = "visually-hidden";
    camera.setAttribute("data-max-bytes", inputs[0].getAttribute("data-max-bytes"));
    label.appendChild(camera);
    limits.insertAdjacentElement("afterend", label);
    camera.addEventListener("change", function () {
      var empty = slots().filter(function (s) { return !s.files.length; })[0] || addSlot();
      if (empty) {
        place(empty, Array.prototype.slice.call(camera.files));
      }
      camera.value = "";
    });
  }
}

// Filters fold away on phones only: wider screens have room to show them.
function portalFilters() {
  if (window.matchMedia && window.matchMedia("(min-width: 40rem)").matches) {
    Array.prototype.forEach.call(document.querySelectorAll("details.more-filters"), function (d) { d.open = true; });
  }
}

document.addEventListener("DOMContentLoaded", function () {
  portalMenu();
  portalFilters();
  portalPhotos();
  portalErrorSummary();
  Array.prototype.forEach.call(document.querySelectorAll("input[data-be-date]"), enhanceDate);
  portalDrafts();
});
