/**
 * Reading and writing form fields the way df_websockets does (its `forms.ts`): a form as a
 * list of `{name, value}` pairs (like jQuery's `serializeArray`), one field's value, and
 * setting fields by name (the `html.forms.set` signal). Only properties are read (`tagName`,
 * `type`, `name`, …), never `instanceof`, so any DOM-like object works.
 */

/** Input types that are buttons: they carry no value of their own. */
const BUTTON_TYPES = new Set(["button", "image", "reset", "submit"]);
/** Elements whose value a form submits. */
const FIELD_TAGS = new Set(["INPUT", "SELECT", "TEXTAREA"]);

/**
 * @typedef {{name: string, value: string}} FormPair
 * @typedef {string | boolean | string[]} FieldValue what `fieldValue` reads and
 *   `setFormValues` writes
 */

/**
 * @param {Element} element
 * @returns {boolean} whether `element` is an `<input>` of a button type
 */
export function isButtonInput(element) {
  return element.tagName === "INPUT" && BUTTON_TYPES.has(/** @type {HTMLInputElement} */ (element).type);
}

/**
 * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} field
 * @returns {string[] | null} the names of a file input's files, or the values of a multiple
 *   select's selected options; null for other fields
 */
function listValue(field) {
  if (field.type === "file") return Array.from(/** @type {HTMLInputElement} */ (field).files ?? [], (f) => f.name);
  if (field.type === "select-multiple") {
    return Array.from(/** @type {HTMLSelectElement} */ (field).selectedOptions, (o) => o.value);
  }
  return null;
}

/**
 * The fields of a form as `{name, value}` pairs, in document order: fields without a name,
 * disabled fields and buttons are left out, as are unchecked checkboxes and radios; a file
 * input gives one pair per file (its name), a multiple select one per selected option.
 * @param {HTMLFormElement} form
 * @returns {FormPair[]}
 */
export function serializeForm(form) {
  /** @type {FormPair[]} */
  const pairs = [];
  for (const field of Array.from(form.elements ?? [])) {
    const f = /** @type {HTMLInputElement} */ (field);
    if (!FIELD_TAGS.has(f.tagName) || !f.name || f.disabled || isButtonInput(f)) continue;
    const list = listValue(f);
    if (list !== null) {
      for (const value of list) pairs.push({ name: f.name, value });
    } else if ((f.type !== "checkbox" && f.type !== "radio") || f.checked) {
      pairs.push({ name: f.name, value: f.value });
    }
  }
  return pairs;
}

/**
 * The value of one field: the file names of a file input, the selected values of a multiple
 * select, whether a checkbox or radio is checked, the `value` of anything else.
 * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} field
 * @returns {FieldValue}
 */
export function fieldValue(field) {
  const list = listValue(field);
  if (list !== null) return list;
  if (field.type === "checkbox" || field.type === "radio") return /** @type {HTMLInputElement} */ (field).checked;
  return field.value;
}

/**
 * Sets the fields of `form` named in `values`. For checkboxes and radios (alone or in a
 * group) `true`/`false` checks or unchecks them all, a string checks the one of that value,
 * a list checks those whose value it holds; as in df_websockets 1.x, a string given to a lone
 * checkbox becomes its value instead. For a select, a string or a list selects the
 * matching options. Other fields get the value as text; file inputs are left alone (a page
 * cannot set them). Unknown names are ignored.
 * @param {HTMLFormElement} form
 * @param {Array<{name: string, value: FieldValue}>} values
 */
export function setFormValues(form, values) {
  const fields = Array.from(form.elements ?? []);
  for (const { name, value } of values) {
    const named = fields.filter((field) => /** @type {HTMLInputElement} */ (field).name === name);
    const lone = /** @type {HTMLInputElement | undefined} */ (named.length === 1 ? named[0] : undefined);
    if (lone?.type === "checkbox" && typeof value === "string") {
      // df_websockets 1.x: a string given to a lone checkbox becomes its value.
      lone.value = value;
      continue;
    }
    for (const field of named) setField(/** @type {HTMLInputElement} */ (field), value);
  }
}

/**
 * @param {FieldValue} value
 * @returns {(candidate: string) => boolean} whether an option or checkbox of value
 *   `candidate` is chosen by `value`
 */
function chooser(value) {
  if (Array.isArray(value)) {
    const chosen = new Set(value.map(String));
    return (candidate) => chosen.has(candidate);
  }
  return (candidate) => candidate === String(value);
}

/**
 * @param {HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement} field
 * @param {FieldValue} value
 */
function setField(field, value) {
  if (field.type === "checkbox" || field.type === "radio") {
    const input = /** @type {HTMLInputElement} */ (field);
    input.checked = typeof value === "boolean" ? value : chooser(value)(input.value);
  } else if (field.tagName === "SELECT") {
    const chosen = chooser(value);
    for (const option of Array.from(/** @type {HTMLSelectElement} */ (field).options)) {
      option.selected = chosen(option.value);
    }
  } else if (field.type !== "file" && FIELD_TAGS.has(field.tagName)) {
    field.value = String(value ?? "");
  }
}
