import { WidgetSettings, type WidgetDto } from '@plauder/protocol';
import type { WidgetRecord } from '../../storage/widgets-repository.js';

/**
 * A stored widget as the API answers it, its settings with every default filled in. Settings that do
 * not parse throw, as getWidgetConfig does: the console must not show defaults the widget does not use.
 */
export function presentWidget(record: WidgetRecord): WidgetDto {
  return {
    id: record.id,
    publicKey: record.publicKey,
    name: record.name,
    settings: WidgetSettings.parse(record.settings),
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}
