// The H5 video liveness page: prompts the session's actions, records one clip, uploads it once.
//
// The clip is the evidence; the server judges it alone. The live preview calls only give the
// person feedback (face found, action seen) so they know when to move on; a prompt whose
// action the page did not see still advances after a timeout, because the server may well
// find it in the clip. Nothing is stored in the browser and the token is never logged.
"use strict";

(() => {
  const PREVIEW_EVERY_MS = 350;
  const PREVIEW_BLINK_MS = 150; // a blink is shut for ~0.2 s: look more often while one is asked for
  const PREVIEW_WIDTH = 320;
  const LEAD_IN_MS = 1000;
  const LEAD_IN_MAX_MS = 2500; // waits this long at most for a resting baseline
  const SEEN_HOLD_MS = 400; // lets the person finish the movement before the next prompt
  const ACTION_TIMEOUT_MS = 5000;
  const TAIL_MS = 800; // the last movement must come back to rest inside the clip
  const BASELINE_FRAMES = 3;
  const SMALL_FACE = 0.2; // face width as a fraction of the frame: "move closer" below it
  const VIDEO_BITS_PER_SECOND = 2500000; // ~3 MB for the longest clip
  const RETRYABLE = [-5002, -5003]; // busy or a backing service down: the same clip may succeed later

  const ACTIONS = {
    blink: ["请眨眨眼", "Blink your eyes"],
    mouth_open: ["请张张嘴", "Open your mouth"],
    turn_left: ["请向左转头", "Turn your head to the left"],
    turn_right: ["请向右转头", "Turn your head to the right"],
    nod: ["请点点头", "Nod your head"],
  };
  const ERRORS = {
    "-6001": ["链接无效", "This link is not valid."],
    "-6002": ["链接已过期，请返回重新发起", "This link has expired. Please go back and start again."],
    "-6003": ["此链接已使用过，请返回重新发起", "This link has already been used. Please go back and start again."],
    "-6004": ["预览次数已用完", "Too many preview frames."],
    "-2014": ["视频太大", "The video is too large."],
    "-2015": ["视频无法解析，请刷新页面重新录制", "The video could not be read; reload the page to record again."],
    "-2016": ["视频太长", "The video is too long."],
  };

  const $ = (id) => document.getElementById(id);
  // location.pathname is /h5/liveness/{token}; kept only in this closure.
  const token = decodeURIComponent(location.pathname.split("/").pop() || "");
  const api = "/h5/api/" + encodeURIComponent(token);

  const state = {
    info: null,
    deadline: 0,
    stream: null,
    recorder: null,
    chunks: [],
    mimeType: "",
    previewsLeft: 0,
    previewing: false,
    samples: [], // resting measures for the baseline
    baseline: null,
    step: -1,
    stepStart: 0,
    seenAt: 0,
    phase: {}, // per-action progress (nod: went down; blink: eyes shut)
    results: [],
    clip: null,
    ticker: 0,
  };

  // Chinese first, English beside it, as text nodes (no innerHTML anywhere).
  function say(element, zh, en) {
    element.textContent = zh + " ";
    if (en) {
      const span = document.createElement("span");
      span.className = "en";
      span.lang = "en";
      span.textContent = en;
      element.appendChild(span);
    }
  }

  function show(id, visible) {
    $(id).hidden = !visible;
  }

  function setState(name) {
    document.body.dataset.state = name;
  }

  function fail(zh, en) {
    stopCamera();
    ["intro", "prompt", "steps", "stage", "upload"].forEach((id) => show(id, false));
    setState("error");
    document.body.dataset.outcome = "error";
    say($("status"), zh, en);
  }

  function failWith(answer) {
    const text = ERRORS[String(answer && answer.rtn)];
    if (text) fail(text[0], text[1]);
    else fail("出错了，请稍后再试", "Something went wrong (" + ((answer && answer.rtn) || "network") + "). Please try again later.");
  }

  async function callJson(path, options) {
    const response = await fetch(api + path, Object.assign({ cache: "no-store", credentials: "omit" }, options));
    try {
      return await response.json();
    } catch (error) {
      return { rtn: null, status: response.status };
    }
  }

  // ---- 1. the session ----

  async function load() {
    let info;
    try {
      info = await callJson("", {});
    } catch (error) {
      return fail("网络错误，请检查网络后刷新", "Network error: check the connection and reload.");
    }
    if (info.rtn !== 0) return failWith(info);
    state.info = info;
    state.deadline = performance.now() + info.expires_in_ms;
    state.previewsLeft = info.preview_frames_left;
    const list = $("intro-actions");
    info.actions.forEach((action) => {
      const item = document.createElement("li");
      say(item, ACTIONS[action][0], ACTIONS[action][1]);
      list.appendChild(item);
    });
    buildSteps(info.actions);
    show("intro", true);
    say($("status"), "准备好后点击开始", "Tap Start when you are ready.");
    setState("intro");
    $("start").addEventListener("click", start, { once: true });
  }

  function buildSteps(actions) {
    const steps = $("steps");
    actions.forEach((action, index) => {
      const item = document.createElement("li");
      item.dataset.action = action;
      item.dataset.state = "waiting";
      item.title = ACTIONS[action][1];
      item.textContent = String(index + 1);
      steps.appendChild(item);
    });
  }

  // ---- 2. the camera ----

  // VP9 first: Chrome's VP8 recordings of a face carry a ~2 px periodic pattern that the
  // server's anti-screen check reads as a display's pixel grid (grid peak 0.48-0.59 against
  // its 0.45 limit, where the camera's own frames and VP9 clips measure 0.24-0.34).
  function chooseMimeType() {
    const wanted = ["video/webm;codecs=vp9", "video/webm;codecs=vp8", "video/webm", "video/mp4"];
    return wanted.find((type) => MediaRecorder.isTypeSupported(type)) || "";
  }

  async function start() {
    show("intro", false);
    if (performance.now() > state.deadline) return failWith({ rtn: -6002 });
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      return fail("此浏览器无法使用摄像头（需要 HTTPS）", "This browser cannot use the camera here (HTTPS is needed).");
    }
    if (typeof MediaRecorder === "undefined") {
      return fail("此浏览器不支持录像，请换用系统浏览器", "This browser cannot record video; please use another browser.");
    }
    setState("camera");
    say($("status"), "请允许使用摄像头", "Please allow the camera.");
    try {
      state.stream = await navigator.mediaDevices.getUserMedia({
        audio: false,
        video: { facingMode: "user", width: { ideal: 640 }, height: { ideal: 480 } },
      });
    } catch (error) {
      return cameraRefused(error);
    }
    const video = $("camera");
    video.srcObject = state.stream;
    show("stage", true);
    try {
      await video.play();
    } catch (error) {
      // Autoplay of a muted inline video is allowed everywhere we know; keep going if not.
    }
    if (!video.videoWidth) await new Promise((resolve) => video.addEventListener("loadedmetadata", resolve, { once: true }));
    record();
  }

  function cameraRefused(error) {
    const name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return fail("您未允许使用摄像头。请在浏览器设置中允许本页使用摄像头，然后刷新页面。",
        "Camera access was refused. Allow the camera for this page in the browser settings, then reload.");
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return fail("未找到前置摄像头", "No front camera was found.");
    }
    if (name === "NotReadableError") {
      return fail("摄像头被其他应用占用，请关闭后刷新", "The camera is in use by another app; close it and reload.");
    }
    return fail("无法打开摄像头", "The camera could not be opened.");
  }

  function stopCamera() {
    if (state.stream) state.stream.getTracks().forEach((track) => track.stop());
    state.stream = null;
    state.previewing = false;
    clearInterval(state.ticker);
  }

  // ---- 3. recording and prompts ----

  function record() {
    state.mimeType = chooseMimeType();
    const options = { videoBitsPerSecond: VIDEO_BITS_PER_SECOND };
    if (state.mimeType) options.mimeType = state.mimeType;
    state.recorder = new MediaRecorder(state.stream, options);
    state.recorder.addEventListener("dataavailable", (event) => {
      if (event.data && event.data.size) state.chunks.push(event.data);
    });
    state.recorder.addEventListener("stop", finished);
    state.recorder.start(1000);
    state.recordStart = performance.now();
    setState("recording");
    show("prompt", true);
    show("steps", true);
    $("hint").dataset.action = "look";
    say($("prompt-text"), "请正视镜头", "Look at the camera");
    say($("status"), "录制中", "Recording");
    state.previewing = state.previewsLeft > 0;
    if (state.previewing) previewLoop();
    state.ticker = setInterval(tick, 100);
  }

  // One clock drives the prompts: lead-in, each action until seen or timed out, then the tail.
  function tick() {
    const now = performance.now();
    const limit = (state.info.max_video_seconds - 1) * 1000;
    if (now - state.recordStart > limit) return stopRecording();
    if (state.step === -1) {
      const lead = now - state.recordStart;
      const ready = state.baseline || !state.previewing;
      if ((lead >= LEAD_IN_MS && ready) || lead >= LEAD_IN_MAX_MS) nextStep(now);
      return;
    }
    if (state.step >= state.info.actions.length) {
      if (now - state.stepStart >= TAIL_MS) stopRecording();
      return;
    }
    const elapsed = now - state.stepStart;
    $("timer-bar").style.transform = "scaleX(" + Math.max(0, 1 - elapsed / ACTION_TIMEOUT_MS) + ")";
    if (state.seenAt && now - state.seenAt >= SEEN_HOLD_MS) nextStep(now);
    else if (!state.seenAt && elapsed >= ACTION_TIMEOUT_MS) {
      markStep("timeout");
      nextStep(now);
    }
  }

  function markStep(outcome) {
    const item = $("steps").children[state.step];
    if (item) item.dataset.state = outcome;
    state.results.push(outcome);
  }

  function nextStep(now) {
    state.step += 1;
    state.stepStart = now;
    state.seenAt = 0;
    state.phase = {};
    const actions = state.info.actions;
    if (state.step >= actions.length) {
      $("hint").dataset.action = "done";
      say($("prompt-text"), "完成，请保持", "Done, hold still");
      return;
    }
    const action = actions[state.step];
    $("steps").children[state.step].dataset.state = "current";
    $("hint").dataset.action = action;
    say($("prompt-text"), ACTIONS[action][0], ACTIONS[action][1]);
    document.body.dataset.step = String(state.step);
  }

  function stopRecording() {
    clearInterval(state.ticker);
    state.previewing = false;
    if (state.recorder && state.recorder.state !== "inactive") state.recorder.stop();
  }

  // ---- 4. live feedback ----

  // One preview at a time: the next frame is taken only after the answer, so a slow network
  // lowers the rate instead of piling requests up.
  async function previewLoop() {
    const canvas = document.createElement("canvas");
    const video = $("camera");
    while (state.previewing && state.previewsLeft > 0) {
      const began = performance.now();
      canvas.width = PREVIEW_WIDTH;
      canvas.height = Math.round((PREVIEW_WIDTH * video.videoHeight) / video.videoWidth) || 240;
      // Drawn from the video element's frames, which are unmirrored (the mirror is CSS only).
      canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
      const frame = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
      if (!frame || !state.previewing) break;
      state.previewsLeft -= 1;
      let answer = null;
      try {
        answer = await callJson("/preview", { method: "POST", headers: { "Content-Type": "image/jpeg" }, body: frame });
      } catch (error) {
        answer = null; // a lost preview only costs feedback
      }
      if (answer && answer.rtn === 0) feedback(answer);
      else if (answer && answer.rtn !== null && String(answer.rtn).startsWith("-600")) break;
      const blinking = state.step >= 0 && state.info.actions[state.step] === "blink" && !state.seenAt;
      const wait = (blinking ? PREVIEW_BLINK_MS : PREVIEW_EVERY_MS) - (performance.now() - began);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    if (state.previewing) {
      // Out of previews: the prompts go on, advancing on their timeouts.
      state.previewing = false;
      $("viewport").dataset.face = "unknown";
      say($("feedback"), "", "");
    }
  }

  function feedback(answer) {
    const viewport = $("viewport");
    if (answer.face_count === 0) {
      viewport.dataset.face = "none";
      return say($("feedback"), "未检测到人脸", "No face found");
    }
    if (answer.face_count > 1) {
      viewport.dataset.face = "many";
      return say($("feedback"), "画面中不止一人", "More than one face");
    }
    if (answer.face_rect && answer.face_rect.w < SMALL_FACE) {
      viewport.dataset.face = "small";
      say($("feedback"), "请靠近一些", "Move closer");
    } else {
      viewport.dataset.face = "ok";
      say($("feedback"), "已检测到人脸", "Face found");
    }
    if (typeof answer.yaw !== "number") return;
    if (state.step === -1 || !state.baseline) addSample(answer);
    if (state.baseline && state.step >= 0 && state.step < state.info.actions.length && !state.seenAt) {
      if (seen(state.info.actions[state.step], answer)) {
        state.seenAt = performance.now();
        markStep("seen");
      }
    }
  }

  function median(values) {
    const sorted = values.slice().sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)];
  }

  function addSample(answer) {
    state.samples.push(answer);
    if (state.samples.length < BASELINE_FRAMES) return;
    const take = (key) => median(state.samples.map((sample) => sample[key]));
    state.baseline = { yaw: take("yaw"), pitch: take("pitch"), eye: take("eye"), mouth: take("mouth") };
  }

  // Thresholds a little below the server's (motion.py), so the page does not hold a person
  // back who did enough; the server's judgement of the clip is what counts.
  function seen(action, m) {
    const base = state.baseline;
    const phase = state.phase;
    switch (action) {
      case "turn_left": // their own left: yaw grows (the nose moves to the image's right)
        return m.yaw - base.yaw >= 8;
      case "turn_right":
        return m.yaw - base.yaw <= -8;
      case "mouth_open":
        return m.mouth >= base.mouth + 0.15;
      case "nod": // down, then back up
        if (m.pitch - base.pitch >= 8) phase.down = true;
        return Boolean(phase.down) && m.pitch - base.pitch < 4;
      case "blink": // shut, then open again
        if (m.eye < 0.7 * base.eye) phase.shut = true;
        return Boolean(phase.shut) && m.eye > 0.8 * base.eye;
      default:
        return false;
    }
  }

  // ---- 5. the upload ----

  function finished() {
    stopCamera();
    const type = (state.recorder.mimeType || state.mimeType || "video/webm").split(";")[0];
    state.clip = new Blob(state.chunks, { type: type });
    state.chunks = [];
    show("prompt", false);
    show("stage", false);
    if (state.clip.size > state.info.max_video_bytes) return failWith({ rtn: -2014 });
    upload();
  }

  // Exactly one attempt per tap: a failed network leaves the choice to the person.
  async function upload() {
    setState("uploading");
    show("upload", true);
    show("retry", false);
    $("upload-progress").removeAttribute("value");
    const megabytes = (state.clip.size / 1e6).toFixed(1);
    say($("upload-text"), "正在上传并检测（" + megabytes + " MB）", "Uploading and checking (" + megabytes + " MB)");
    say($("status"), "请稍候", "Please wait");
    let answer;
    try {
      answer = await callJson("/video", { method: "POST", headers: { "Content-Type": state.clip.type }, body: state.clip });
    } catch (error) {
      answer = null;
    }
    if (!answer || answer.rtn === null || RETRYABLE.includes(answer.rtn)) {
      // The token is still unused when the upload did not arrive or the server was busy.
      $("upload-progress").value = 0;
      say($("upload-text"), "上传失败", "The upload failed");
      say($("status"), "请检查网络后点击重新上传", "Check the connection, then tap Upload again.");
      show("retry", true);
      $("retry").addEventListener("click", upload, { once: true });
      setState("upload-failed");
      return;
    }
    show("upload", false);
    if (answer.rtn !== 0) return failWith(answer);
    outcome(answer);
  }

  function outcome(answer) {
    show("steps", true);
    show("result", true);
    const passed = answer.is_live === true;
    $("result").dataset.outcome = passed ? "pass" : "fail";
    $("result-message").textContent = answer.page_message;
    document.body.dataset.outcome = passed ? "pass" : "fail";
    say($("status"), passed ? "检测完成，可以返回" : "未通过，请返回重新发起",
      passed ? "Finished: you can go back now." : "Not passed: please go back and start again.");
    setState("done");
  }

  document.addEventListener("DOMContentLoaded", load);
})();
