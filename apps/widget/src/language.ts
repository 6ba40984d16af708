import type { WidgetConfig } from '@plauder/protocol';

/** The languages the widget speaks. */
export type Language = 'en' | 'de';

/** The widget's language: the configured one, or the browser's when it is English or German. */
export function widgetLanguage(setting: WidgetConfig['language'], browserLanguage: string): Language {
  if (setting !== 'auto') return setting;
  return browserLanguage.toLowerCase().startsWith('de') ? 'de' : 'en';
}
