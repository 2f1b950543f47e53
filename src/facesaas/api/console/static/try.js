// Try it: two photos compared in the server; both drawn with their face boxes and landmarks,
// the similarity on the threshold ladder.
'use strict';

(() => {
  const { request, flash } = Console;
  const LANDMARK_COLOURS = ['#ef4444', '#3b82f6', '#10b981', '#f59e0b', '#a855f7'];
  const MAIN_BOX = '#22c55e';
  const OTHER_BOX = '#eab308';

  function base64Of(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(',', 2)[1] || '');
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }

  /** Draw ``file`` into the canvas (fit in 440×290) with the faces the server found. */
  async function draw(canvas, caption, file, photo) {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const scale = Math.min(440 / bitmap.width, 290 / bitmap.height, 1);
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    const g = canvas.getContext('2d');
    g.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    // The server's coordinates are of the image as it decoded it (EXIF orientation applied).
    const sx = canvas.width / photo.width;
    const sy = canvas.height / photo.height;
    photo.faces.forEach((face, index) => {
      const [x, y, w, h] = face.box;
      g.lineWidth = index === 0 ? 3 : 2;
      g.strokeStyle = index === 0 ? MAIN_BOX : OTHER_BOX;
      g.strokeRect(x * sx, y * sy, w * sx, h * sy);
      g.fillStyle = g.strokeStyle;
      g.font = '600 12px system-ui, sans-serif';
      g.fillText(`${index + 1} · ${face.score.toFixed(2)}`, x * sx + 2, Math.max(12, y * sy - 4));
      face.landmarks.forEach(([lx, ly], k) => {
        g.beginPath();
        g.arc(lx * sx, ly * sy, 3.5, 0, 2 * Math.PI);
        g.fillStyle = LANDMARK_COLOURS[k];
        g.fill();
      });
    });
    canvas.dataset.faces = String(photo.faces.length);
    canvas.dataset.scale = String(sx);
    caption.textContent = `${file.name} · ${photo.width}×${photo.height} · ${photo.face_num} face${photo.face_num === 1 ? '' : 's'}`
      + (photo.face_num ? ' (the largest, in green, is compared)' : '');
  }

  function verdictText(result) {
    if (result.similarity === null) return 'No comparison: a face is missing in at least one photo.';
    const passed = result.thresholds.filter((t) => t.same_person).map((t) => t.true_negative_rate);
    if (!passed.length) return `Similarity ${result.similarity.toFixed(2)}: a different person at every threshold.`;
    if (passed.length === result.thresholds.length) return `Similarity ${result.similarity.toFixed(2)}: the same person at every threshold.`;
    return `Similarity ${result.similarity.toFixed(2)}: the same person at true_negative_rate ${passed.join(', ')} only.`;
  }

  Console.start().then(() => {
    const form = document.getElementById('try-form');
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const fileA = document.getElementById('photo-a').files[0];
      const fileB = document.getElementById('photo-b').files[0];
      if (!fileA || !fileB) { flash('Choose two photos.', 'error'); return; }
      const button = document.getElementById('try-button');
      button.disabled = true;
      flash('Comparing…');
      try {
        const result = await request('POST', '/console/api/try', { image_a: await base64Of(fileA), image_b: await base64Of(fileB) });
        await draw(document.getElementById('canvas-a'), document.getElementById('caption-a'), fileA, result.image_a);
        await draw(document.getElementById('canvas-b'), document.getElementById('caption-b'), fileB, result.image_b);
        Charts.ladder(document.getElementById('ladder'), result.similarity, result.thresholds);
        document.getElementById('verdict').textContent = verdictText(result);
        flash('');
        document.body.dataset.compared = String(Number(document.body.dataset.compared || 0) + 1);
      } catch (error) {
        flash(error.message, 'error');
      } finally {
        button.disabled = false;
      }
    });
    Charts.ladder(document.getElementById('ladder'), null, []);
    Console.ready();
  }).catch((error) => flash(error.message, 'error'));
})();
