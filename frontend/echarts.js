// The ECharts the dashboard draws with: only the chart type, components and
// renderer it uses, registered on ECharts' tree-shakeable core. Anything the
// chart options name but is not registered here is silently not drawn, so
// the browser tests check that every kind of mark the dashboard sets appears.
import * as echarts from "echarts/core";
import { LineChart } from "echarts/charts";
import {
  DataZoomComponent,
  GridComponent,
  LegendPlainComponent,
  MarkAreaComponent,
  MarkLineComponent,
  ToolboxComponent,
  TooltipComponent,
} from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([
  LineChart,
  GridComponent,
  TooltipComponent,
  // The plain legend, which wraps: the chart has no paged legend.
  LegendPlainComponent,
  // Inside (wheel, pinch) and slider zooming.
  DataZoomComponent,
  // Its data-zoom feature is what turns a drag on the plot into a zoom.
  ToolboxComponent,
  MarkLineComponent,
  MarkAreaComponent,
  CanvasRenderer,
]);

// The app's bindings (src/echarts.rs) look ECharts up as a global.
window.echarts = echarts;
