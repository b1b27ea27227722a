/**
 * Block Kit's documented limits, as Slack enforces them (it answers `invalid_blocks` or
 * `invalid_arguments`). The fake Slack refuses what breaks them, and tests assert nothing was refused.
 */
type Json = Record<string, unknown>;

const asArray = (value: unknown): Json[] => (Array.isArray(value) ? (value as Json[]) : []);
const textOf = (value: unknown): string => ((value as { text?: unknown } | undefined)?.text as string | undefined) ?? '';
const length = (text: string) => [...text].length;

function elementProblems(element: Json, where: string): string[] {
  const problems: string[] = [];
  const placeholder = textOf(element.placeholder);
  if (length(placeholder) > 150) problems.push(`${where}: placeholder over 150`);
  if (element.type === 'plain_text_input') {
    const max = element.max_length as number | undefined;
    if (max !== undefined && (max < 1 || max > 3000)) problems.push(`${where}: max_length ${max}`);
    const initial = (element.initial_value as string | undefined) ?? '';
    if (max !== undefined && length(initial) > max) problems.push(`${where}: initial_value longer than max_length`);
  }
  if (element.type === 'static_select') {
    const options = asArray(element.options);
    if (options.length > 100) problems.push(`${where}: more than 100 options`);
    if (options.length === 0) problems.push(`${where}: static_select without options`);
    problems.push(...options.flatMap((option) => optionProblems(option, where)));
  }
  if (element.type === 'external_select') {
    const min = element.min_query_length as number | undefined;
    if (min !== undefined && (!Number.isInteger(min) || min < 0)) problems.push(`${where}: min_query_length ${String(min)}`);
    if (element.options !== undefined) problems.push(`${where}: external_select cannot list options`);
  }
  if (element.initial_option !== undefined) problems.push(...optionProblems(element.initial_option as Json, `${where} initial_option`));
  return problems;
}

function optionProblems(option: Json, where: string): string[] {
  const problems: string[] = [];
  const text = length(textOf(option.text));
  if (text === 0 || text > 75) problems.push(`${where}: option text length ${text}`);
  const value = length(String(option.value ?? ''));
  if (value === 0 || value > 75) problems.push(`${where}: option value length ${value}`);
  return problems;
}

/** An answer to a `block_suggestion`: options or option groups, 100 at most, each option within limits. */
export function optionsAnswerProblems(answer: Json): string[] {
  const hasOptions = answer.options !== undefined;
  const hasGroups = answer.option_groups !== undefined;
  if (hasOptions === hasGroups) return ['an options answer needs exactly one of options and option_groups'];
  const problems: string[] = [];
  if (hasOptions) {
    const options = asArray(answer.options);
    if (options.length > 100) problems.push(`${options.length} options, limit 100`);
    problems.push(...options.flatMap((option) => optionProblems(option, 'options')));
  } else {
    const groups = asArray(answer.option_groups);
    if (groups.length > 100) problems.push(`${groups.length} option groups, limit 100`);
    for (const group of groups) {
      const label = length(textOf(group.label));
      if (label === 0 || label > 75) problems.push(`group label length ${label}`);
      const options = asArray(group.options);
      if (options.length === 0 || options.length > 100) problems.push(`group with ${options.length} options`);
      problems.push(...options.flatMap((option) => optionProblems(option, 'group')));
    }
    const total = groups.reduce((sum, group) => sum + asArray(group.options).length, 0);
    if (total > 100) problems.push(`${total} options in groups, limit 100`);
  }
  return problems;
}

function plainTextProblems(value: unknown, max: number, where: string): string[] {
  const text = value as { type?: unknown; text?: unknown } | undefined;
  if (!text || text.type !== 'plain_text' || typeof text.text !== 'string') return [`${where}: not a plain_text object`];
  const size = length(text.text);
  return size === 0 || size > max ? [`${where}: text length ${size}, limit ${max}`] : [];
}

/** A button (in an actions block or as a section's accessory): text 75, url 3000, value 2000, action_id 255, confirm dialog limits. */
function buttonProblems(button: Json, where: string): string[] {
  const problems = plainTextProblems(button.text, 75, `${where} text`);
  if (button.url !== undefined && (typeof button.url !== 'string' || length(button.url) > 3000 || !/^https?:\/\//.test(button.url))) problems.push(`${where}: url not an http(s) URL within 3000`);
  if (button.value !== undefined && length(String(button.value)) > 2000) problems.push(`${where}: value over 2000`);
  if (button.action_id !== undefined && length(String(button.action_id)) > 255) problems.push(`${where}: action_id over 255`);
  if (button.style !== undefined && !['primary', 'danger'].includes(String(button.style))) problems.push(`${where}: style ${String(button.style)}`);
  const confirm = button.confirm as Json | undefined;
  if (confirm) {
    problems.push(...plainTextProblems(confirm.title, 100, `${where} confirm title`));
    problems.push(...plainTextProblems(confirm.text, 300, `${where} confirm text`));
    problems.push(...plainTextProblems(confirm.confirm, 30, `${where} confirm button`));
    problems.push(...plainTextProblems(confirm.deny, 30, `${where} deny button`));
  }
  return problems;
}

export function blockProblems(blocks: unknown, maxBlocks: number): string[] {
  const list = asArray(blocks);
  const problems: string[] = list.length > maxBlocks ? [`${list.length} blocks, limit ${maxBlocks}`] : [];
  list.forEach((block, index) => {
    const where = `block ${index} (${String(block.type)})`;
    if (block.block_id !== undefined && length(String(block.block_id)) > 255) problems.push(`${where}: block_id over 255`);
    if (block.type === 'section') {
      const text = textOf(block.text);
      if (length(text) === 0 || length(text) > 3000) problems.push(`${where}: section text length ${length(text)}`);
      const accessory = block.accessory as Json | undefined;
      if (accessory?.type === 'button') problems.push(...buttonProblems(accessory, `${where} accessory`));
    }
    if (block.type === 'header') problems.push(...plainTextProblems(block.text, 150, `${where} header`));
    if (block.type === 'actions') {
      const elements = asArray(block.elements);
      if (elements.length === 0 || elements.length > 25) problems.push(`${where}: ${elements.length} elements`);
      const ids = elements.flatMap((element) => (element.action_id !== undefined ? [String(element.action_id)] : []));
      if (new Set(ids).size !== ids.length) problems.push(`${where}: action_ids repeat`);
      for (const element of elements) if (element.type === 'button') problems.push(...buttonProblems(element, `${where} button`));
    }
    if (block.type === 'context') {
      const elements = asArray(block.elements);
      if (elements.length === 0 || elements.length > 10) problems.push(`${where}: ${elements.length} context elements`);
      for (const element of elements) if (length(textOf(element)) > 2000) problems.push(`${where}: context text over 2000`);
    }
    if (block.type === 'input') {
      if (length(textOf(block.label)) > 2000) problems.push(`${where}: label over 2000`);
      if (length(textOf(block.hint)) > 2000) problems.push(`${where}: hint over 2000`);
      problems.push(...elementProblems(block.element as Json, where));
    }
  });
  return problems;
}

export function messageProblems(message: Json): string[] {
  const problems = blockProblems(message.blocks, 50);
  if (!message.text && asArray(message.blocks).length === 0) problems.push('message without text or blocks');
  if (typeof message.text === 'string' && length(message.text) > 40000) problems.push('text over 40000');
  return problems;
}

export function viewProblems(view: Json): string[] {
  const problems = blockProblems(view.blocks, 100);
  for (const key of ['title', 'submit', 'close'] as const) {
    if (view[key] !== undefined && length(textOf(view[key])) > 24) problems.push(`${key} over 24 characters`);
  }
  if (!view.title) problems.push('modal without title');
  if (asArray(view.blocks).some((block) => block.type === 'input') && !view.submit) problems.push('input blocks without submit');
  if (typeof view.private_metadata === 'string' && length(view.private_metadata) > 3000) problems.push('private_metadata over 3000');
  if (typeof view.callback_id === 'string' && length(view.callback_id) > 255) problems.push('callback_id over 255');
  return problems;
}

/** A Home tab view (`views.publish`): type home, 100 blocks, and the limits every block has. */
export function homeViewProblems(view: Json): string[] {
  const problems = blockProblems(view.blocks, 100);
  if (view.type !== 'home') problems.push(`view type ${String(view.type)}, not home`);
  if (typeof view.private_metadata === 'string' && length(view.private_metadata) > 3000) problems.push('private_metadata over 3000');
  if (typeof view.callback_id === 'string' && length(view.callback_id) > 255) problems.push('callback_id over 255');
  return problems;
}
