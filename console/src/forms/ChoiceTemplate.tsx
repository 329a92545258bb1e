import type { MultiSchemaFieldTemplateProps } from '@rjsf/utils';

/**
 * rjsf's choice between `anyOf`/`oneOf` options (a trait value's type, voiceConfig set or not),
 * with the select inside a `<label>`: the default template leaves it without an accessible name.
 */
export function ChoiceTemplate({ selector, optionSchemaField, schema }: MultiSchemaFieldTemplateProps) {
  return (
    <div className="panel panel-default panel-body">
      {selector && (
        <div className="form-group">
          <label className="choice">
            <span className="sr-only">{schema.title ? `${schema.title}: ` : ''}kind of value</span>
            {selector}
          </label>
        </div>
      )}
      {optionSchemaField}
    </div>
  );
}
