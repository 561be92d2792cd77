// Sales funnel pages: print buttons (no inline handlers: CSP script-src 'self').
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action='print']");
  if (button) {
    event.preventDefault();
    window.print();
  }
});
