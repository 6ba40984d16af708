import type { DeliveryDto, WebhookEndpointDto } from '@plauder/protocol';
import { describe, expect, it } from 'vitest';
import {
  appendOlder,
  DELIVERY_PAGE_SIZE,
  deliveriesPath,
  endpointText,
  functionText,
  olderQuery,
  statusText,
} from './delivery-log.js';

function delivery(id: string, createdAt: number, change: Partial<DeliveryDto> = {}): DeliveryDto {
  return {
    id,
    function: 'webhooks',
    event: 'message.created',
    endpointId: 'endpoint-1',
    conversationId: 'conversation-1',
    status: 'delivered',
    attempts: 1,
    nextAttemptAt: null,
    lastCode: 200,
    lastError: null,
    createdAt,
    finishedAt: createdAt + 50,
    ...change,
  };
}

const endpoint: WebhookEndpointDto = {
  id: 'endpoint-1',
  url: 'https://hooks.acme.example/plauder',
  events: ['message.created'],
  enabled: true,
  createdAt: 1,
  updatedAt: 1,
};

describe('the delivery log as the console asks for it', () => {
  it('asks for the status filtered on and the page after a delivery, with a limit', () => {
    expect(deliveriesPath({ limit: 50 })).toBe('/api/v1/deliveries?limit=50');
    expect(deliveriesPath({ status: 'failed', before: 1_700_000_000_000, beforeId: 'c1', limit: 50 })).toBe(
      '/api/v1/deliveries?status=failed&before=1700000000000&beforeId=c1&limit=50',
    );
  });

  it('asks for the first page without a time, and the next one after the last shown by time and id', () => {
    expect(olderQuery({ status: 'pending' }, [])).toEqual({ status: 'pending', limit: DELIVERY_PAGE_SIZE });
    // One event to three endpoints: queued in the same millisecond, the page ends after two of them.
    const shown = [delivery('d', 3000), delivery('c2', 2000), delivery('c1', 2000)];
    expect(olderQuery({ status: 'delivered' }, shown)).toEqual({
      status: 'delivered',
      before: 2000,
      beforeId: 'c1',
      limit: DELIVERY_PAGE_SIZE,
    });
    // Shown again meanwhile (a refresh moved the page): not repeated.
    const page = [delivery('c1', 2000), delivery('c0', 2000), delivery('a', 1000)];
    expect(appendOlder(shown, page).map((d) => d.id)).toEqual(['d', 'c2', 'c1', 'c0', 'a']);
  });

  it('names the function, the status and the endpoint, a removed one too', () => {
    expect(functionText('email')).toBe('Email');
    expect(functionText('webhooks')).toBe('Webhook');
    expect(statusText('cancelled')).toBe('Cancelled');
    expect(endpointText(delivery('a', 1), [endpoint])).toBe('https://hooks.acme.example/plauder');
    expect(endpointText(delivery('a', 1, { endpointId: 'gone' }), [endpoint])).toBe('A removed endpoint');
    expect(endpointText(delivery('a', 1, { function: 'email', endpointId: null }), [endpoint])).toBe('');
  });
});
