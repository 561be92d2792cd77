// The import job page: celery-progress's bar over the job's progress URL; the page reloads when
// the job ends (the server renders the result: errors, dry run, or applied).
document.addEventListener("DOMContentLoaded", () => {
  const bar = document.getElementById("progress-bar");
  if (!bar || typeof CeleryProgressBar === "undefined") return;
  const message = document.getElementById("progress-bar-message");
  const reload = () => window.location.reload();
  CeleryProgressBar.initProgressBar(bar.dataset.progressUrl, {
    pollInterval: 1000,
    defaultMessages: { waiting: bar.dataset.waiting, started: bar.dataset.started },
    onProgress: (barElement, messageElement, progress) => {
      barElement.style.width = `${progress.percent || 0}%`;
      message.textContent = `${progress.description || ""} ${progress.current || 0} / ${progress.total || 0}`;
    },
    onSuccess: reload,
    onTaskError: reload,
    onError: () => window.setTimeout(reload, 5000),
  });
});
