import type { ReactNode } from 'react';

/**
 * A labelled `<select>` of `options` (a value, shown as itself unless `text` is given); `children`
 * come before them (an "any" choice, say).
 */
export function SelectField({ label, name, value, onChange, options, children }: {
  label: ReactNode;
  name?: string;
  value: string | number;
  onChange: (value: string) => void;
  options: readonly { value: string | number; text?: ReactNode }[];
  children?: ReactNode;
}) {
  return (
    <label>
      {label}
      <select name={name} value={value} onChange={(e) => onChange(e.target.value)}>
        {children}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.text ?? o.value}
          </option>
        ))}
      </select>
    </label>
  );
}
