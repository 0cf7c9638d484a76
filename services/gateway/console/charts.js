// Apache ECharts for the statistics page: the library loaded on demand (echarts.min.js, the
// pinned package the gateway serves beside the console; a <script> element, as the
// Content-Security-Policy allows 'self' only), the charts drawn, resized with the window and
// disposed when the page is left or drawn again (main.js calls disposeCharts on each render).
let loading = null;
const charts = [];

export function loadECharts() {
  if (window.echarts) return Promise.resolve(window.echarts);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = 'echarts.min.js';
      script.async = true;
      script.onload = () => (window.echarts ? resolve(window.echarts) : reject(new Error('echarts.min.js defined no echarts')));
      script.onerror = () => { loading = null; script.remove(); reject(new Error('echarts.min.js could not be loaded')); };
      document.head.appendChild(script);
    });
  }
  return loading;
}

// Draws option into container (a sized element in the page) and keeps the chart for resizes.
export function drawChart(container, option) {
  const chart = window.echarts.init(container, null, { renderer: 'canvas' });
  chart.setOption(option);
  charts.push(chart);
  return chart;
}

export function disposeCharts() {
  while (charts.length) {
    const chart = charts.pop();
    if (!chart.isDisposed()) chart.dispose();
  }
}

let resizeTimer = null;
window.addEventListener('resize', () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => { for (const c of charts) if (!c.isDisposed()) c.resize(); }, 120);
});
