/**
 * A list of equal-height rows that renders only the rows in view (and a few around them), so a
 * list of thousands scrolls like a list of twenty.
 */
import type { ComponentChildren } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

const OVERSCAN = 8;

/** Renders `items` in a scrolling box, `rowHeight` pixels each; `renderRow` draws one. */
export function VirtualList<T>(props: {
  items: readonly T[];
  rowHeight: number;
  keyOf: (item: T) => string;
  renderRow: (item: T, index: number) => ComponentChildren;
  /** Keeps this row in view when it changes (the selected one). */
  activeIndex?: number;
  label: string;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [viewport, setViewport] = useState({ top: 0, height: 800 });
  useLayoutEffect(() => {
    const element = box.current;
    if (!element) return;
    const measure = () => setViewport({ top: element.scrollTop, height: element.clientHeight || 800 });
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(element);
    element.addEventListener('scroll', measure, { passive: true });
    return () => {
      observer.disconnect();
      element.removeEventListener('scroll', measure);
    };
  }, []);
  useLayoutEffect(() => {
    const element = box.current;
    const index = props.activeIndex;
    if (!element || index === undefined || index < 0) return;
    const top = index * props.rowHeight;
    if (top < element.scrollTop) element.scrollTop = top;
    else if (top + props.rowHeight > element.scrollTop + element.clientHeight) {
      element.scrollTop = top + props.rowHeight - element.clientHeight;
    }
  }, [props.activeIndex]);

  const first = Math.max(0, Math.floor(viewport.top / props.rowHeight) - OVERSCAN);
  const last = Math.min(props.items.length, Math.ceil((viewport.top + viewport.height) / props.rowHeight) + OVERSCAN);
  return (
    <div ref={box} class="virtual-list" role="list" aria-label={props.label}>
      <div style={{ height: `${props.items.length * props.rowHeight}px`, position: 'relative' }}>
        {props.items.slice(first, last).map((item, offset) => (
          <div
            key={props.keyOf(item)}
            role="listitem"
            style={{ position: 'absolute', top: `${(first + offset) * props.rowHeight}px`, left: 0, right: 0 }}
          >
            {props.renderRow(item, first + offset)}
          </div>
        ))}
      </div>
    </div>
  );
}
