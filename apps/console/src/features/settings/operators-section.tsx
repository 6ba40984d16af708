import type { OperatorDto, SessionDto } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { may } from '../../roles.js';
import { Invitations } from './invitations.js';
import { ConfirmButton, ErrorLine, grantableRoles } from './settings-ui.js';

/**
 * The account's operators (admins and owners): each one's role and capacity, removal, and the
 * invitations of new colleagues.
 */
export function OperatorsSection(props: { api: Api; session: SessionDto }) {
  const { api } = props;
  const me = props.session.operator;
  const [operators, setOperators] = useState<OperatorDto[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [note, setNote] = useState('');

  const load = () =>
    api
      .request<{ operators: OperatorDto[] }>('GET', '/api/v1/operators')
      .then((found) => setOperators(found.operators), setError);
  useEffect(() => {
    void load();
  }, []);

  /** Runs a change of one operator, then shows the list as it is now. */
  const change = async (what: string, action: () => Promise<unknown>) => {
    setError(null);
    setNote('');
    try {
      await action();
      setNote(what);
    } catch (caught) {
      setError(caught);
    }
    await load();
  };

  return (
    <>
      <h2>Operators</h2>
      <ErrorLine text={error ? errorText(error) : null} />
      <p role="status" class="settings-help">
        {note}
      </p>
      {operators === null ? (
        !error && <p class="loading">Loading…</p>
      ) : (
        <table class="settings-table">
          <thead>
            <tr>
              <th scope="col">Operator</th>
              <th scope="col">Role</th>
              <th scope="col">Capacity</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {operators.map((operator) => {
              // One's own role and membership are not changed here; an owner is changed by owners only.
              const editable = operator.id !== me.id && (operator.role !== 'owner' || may(me.role, 'manageOwners'));
              return (
                <tr key={operator.id}>
                  <td>
                    {operator.displayName}
                    {operator.id === me.id && ' (you)'}
                    <br />
                    <span class="muted">{operator.email}</span>
                  </td>
                  <td>
                    {editable ? (
                      <select
                        aria-label={`Role of ${operator.displayName}`}
                        value={operator.role}
                        onChange={(e) => {
                          const value = e.currentTarget.value;
                          const role = grantableRoles(me.role).find((r) => r === value);
                          if (!role) return;
                          void change(`${operator.displayName} is now ${role}.`, () =>
                            api.request('PUT', `/api/v1/operators/${operator.id}/role`, { role }),
                          );
                        }}
                      >
                        {grantableRoles(me.role).map((role) => (
                          <option key={role} value={role}>
                            {role}
                          </option>
                        ))}
                      </select>
                    ) : (
                      operator.role
                    )}
                  </td>
                  <td>
                    <CapacityField
                      operator={operator}
                      onSet={(capacity) =>
                        void change(`${operator.displayName} takes up to ${capacity} conversations.`, () =>
                          api.request('PUT', `/api/v1/operators/${operator.id}/capacity`, { capacity }),
                        )
                      }
                    />
                  </td>
                  <td>
                    {editable && (
                      <ConfirmButton
                        label="Remove"
                        question={`Remove ${operator.displayName}? They can no longer sign in.`}
                        confirm="Remove"
                        onConfirm={() =>
                          void change(`${operator.displayName} was removed.`, () =>
                            api.request('DELETE', `/api/v1/operators/${operator.id}`),
                          )
                        }
                      />
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      <p class="settings-help">
        Capacity: how many conversations routing gives the operator at once (0 to 100; 0 takes none).
      </p>
      <Invitations api={api} session={props.session} />
    </>
  );
}

/** An operator's capacity, set with its own small form. */
function CapacityField(props: { operator: OperatorDto; onSet: (capacity: number) => void }) {
  const [value, setValue] = useState(String(props.operator.capacity));
  useEffect(() => setValue(String(props.operator.capacity)), [props.operator.capacity]);
  return (
    <form
      class="capacity"
      onSubmit={(event) => {
        event.preventDefault();
        props.onSet(Number(value));
      }}
    >
      <input
        type="number"
        min={0}
        max={100}
        step={1}
        required
        aria-label={`Capacity of ${props.operator.displayName}`}
        value={value}
        onInput={(e) => setValue(e.currentTarget.value)}
      />
      <button type="submit" disabled={value === String(props.operator.capacity)}>
        Set
      </button>
    </form>
  );
}
