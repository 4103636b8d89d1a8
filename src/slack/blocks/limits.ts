// Block Kit limits (Slack Block Kit reference) and a validator that lists every violation in
// a block list, so builders can be tested against the limits Slack enforces at post time.
import type { Block, KnownBlock } from "@slack/types";

export const LIMITS = {
  messageBlocks: 50,
  modalBlocks: 100,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  sectionFieldText: 2000,
  /** Any text object not covered by a more specific limit (context elements, confirm text ...). */
  textObject: 3000,
  contextElements: 10,
  actionsElements: 25,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  /** Slack's notification fallback; 4,000 is Slack's recommendation, we keep well under it. */
  messageText: 3000,
  /**
   * Our budget for all strings in a message's blocks. Slack rejects somewhere near 13.2k characters with
   * `msg_blocks_too_long` (undocumented; bolt-js #2509), so stay clearly below it.
   */
  totalBlockChars: 12_000,
} as const;

export interface ValidateOptions {
  /** 50 for messages (default), 100 for modals and App Home. */
  maxBlocks?: number;
  /** Budget for {@link blocksCharCount}; default {@link LIMITS.totalBlockChars}. */
  maxTotalChars?: number;
}

type Json = unknown;

function isRecord(v: Json): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Total length of every string in the blocks (texts, values, urls, ids, ...). Deliberately broader than what
 * Slack is likely to count, so a message under our budget is under Slack's.
 */
export function blocksCharCount(blocks: readonly Json[]): number {
  let n = 0;
  const walk = (v: Json): void => {
    if (typeof v === "string") n += v.length;
    else if (Array.isArray(v)) v.forEach(walk);
    else if (isRecord(v)) Object.values(v).forEach(walk);
  };
  walk(blocks);
  return n;
}

// An `&` in mrkdwn must start an entity; anything else means unescaped input or an entity cut in half.
const BAD_AMP = /&(?!(?:amp|lt|gt|quot|apos|#\d{1,7}|#x[0-9a-fA-F]{1,6});)/;

/** Lists Block Kit limit violations (empty array when the blocks are fine). */
export function validateBlocks(blocks: readonly (KnownBlock | Block)[], opts: ValidateOptions = {}): string[] {
  const maxBlocks = opts.maxBlocks ?? LIMITS.messageBlocks;
  const maxTotal = opts.maxTotalChars ?? LIMITS.totalBlockChars;
  const problems: string[] = [];

  if (!Array.isArray(blocks)) return ["blocks is not an array"];
  if (blocks.length > maxBlocks) problems.push(`${blocks.length} blocks (max ${maxBlocks})`);

  const total = blocksCharCount(blocks);
  if (total > maxTotal) problems.push(`blocks hold ${total} characters in total (budget ${maxTotal})`);

  const blockIds = new Set<string>();

  const checkLen = (where: string, what: string, s: unknown, max: number, min = 1): void => {
    if (typeof s !== "string") {
      problems.push(`${where}: ${what} is missing or not a string`);
      return;
    }
    if (s.length < min) problems.push(`${where}: ${what} is empty`);
    if (s.length > max) problems.push(`${where}: ${what} is ${s.length} chars (max ${max})`);
  };

  const checkText = (where: string, t: unknown, max: number, plainOnly = false): void => {
    if (!isRecord(t)) {
      problems.push(`${where}: text object missing`);
      return;
    }
    if (t.type !== "plain_text" && t.type !== "mrkdwn") problems.push(`${where}: unknown text type ${String(t.type)}`);
    else if (plainOnly && t.type !== "plain_text") problems.push(`${where}: must be plain_text`);
    checkLen(where, "text", t.text, max);
    if (t.type === "mrkdwn" && typeof t.text === "string" && BAD_AMP.test(t.text)) {
      problems.push(`${where}: unescaped "&" or broken HTML entity in mrkdwn`);
    }
  };

  const checkConfirm = (where: string, c: unknown): void => {
    if (c === undefined) return;
    if (!isRecord(c)) {
      problems.push(`${where}.confirm: not an object`);
      return;
    }
    checkText(`${where}.confirm.title`, c.title, LIMITS.confirmTitle, true);
    checkText(`${where}.confirm.text`, c.text, LIMITS.confirmText);
    checkText(`${where}.confirm.confirm`, c.confirm, LIMITS.confirmButton, true);
    checkText(`${where}.confirm.deny`, c.deny, LIMITS.confirmButton, true);
  };

  const checkElement = (where: string, el: unknown, actionIds: Set<string>): void => {
    if (!isRecord(el)) {
      problems.push(`${where}: element is not an object`);
      return;
    }
    if (el.action_id !== undefined) {
      checkLen(where, "action_id", el.action_id, LIMITS.actionId);
      if (typeof el.action_id === "string") {
        if (actionIds.has(el.action_id)) problems.push(`${where}: duplicate action_id ${el.action_id}`);
        actionIds.add(el.action_id);
      }
    }
    if (el.type === "button") {
      checkText(`${where}.text`, el.text, LIMITS.buttonText, true);
      if (el.value !== undefined) checkLen(where, "value", el.value, LIMITS.buttonValue);
      if (el.url !== undefined) checkLen(where, "url", el.url, LIMITS.buttonUrl);
      if (el.style !== undefined && el.style !== "primary" && el.style !== "danger") {
        problems.push(`${where}: invalid button style ${typeof el.style === "string" ? el.style : JSON.stringify(el.style)}`);
      }
      checkConfirm(where, el.confirm);
    }
  };

  blocks.forEach((raw, i) => {
    const b = raw as unknown;
    if (!isRecord(b)) {
      problems.push(`blocks[${i}]: not an object`);
      return;
    }
    const where = `blocks[${i}] (${String(b.type)})`;
    if (b.block_id !== undefined) {
      checkLen(where, "block_id", b.block_id, LIMITS.blockId);
      if (typeof b.block_id === "string") {
        if (blockIds.has(b.block_id)) problems.push(`${where}: duplicate block_id ${b.block_id}`);
        blockIds.add(b.block_id);
      }
    }
    switch (b.type) {
      case "header":
        checkText(`${where}.text`, b.text, LIMITS.headerText, true);
        break;
      case "section": {
        if (b.text === undefined && b.fields === undefined) problems.push(`${where}: needs text or fields`);
        if (b.text !== undefined) checkText(`${where}.text`, b.text, LIMITS.sectionText);
        if (b.fields !== undefined) {
          if (!Array.isArray(b.fields)) problems.push(`${where}: fields is not an array`);
          else {
            if (b.fields.length === 0) problems.push(`${where}: fields is empty`);
            if (b.fields.length > LIMITS.sectionFields) {
              problems.push(`${where}: ${b.fields.length} fields (max ${LIMITS.sectionFields})`);
            }
            b.fields.forEach((f, j) => { checkText(`${where}.fields[${j}]`, f, LIMITS.sectionFieldText); });
          }
        }
        if (b.accessory !== undefined) checkElement(`${where}.accessory`, b.accessory, new Set());
        break;
      }
      case "context": {
        if (!Array.isArray(b.elements)) {
          problems.push(`${where}: elements is not an array`);
          break;
        }
        if (b.elements.length === 0) problems.push(`${where}: no elements`);
        if (b.elements.length > LIMITS.contextElements) {
          problems.push(`${where}: ${b.elements.length} elements (max ${LIMITS.contextElements})`);
        }
        b.elements.forEach((el, j) => {
          if (isRecord(el) && el.type === "image") return;
          checkText(`${where}.elements[${j}]`, el, LIMITS.textObject);
        });
        break;
      }
      case "actions": {
        if (!Array.isArray(b.elements)) {
          problems.push(`${where}: elements is not an array`);
          break;
        }
        if (b.elements.length === 0) problems.push(`${where}: no elements`);
        if (b.elements.length > LIMITS.actionsElements) {
          problems.push(`${where}: ${b.elements.length} elements (max ${LIMITS.actionsElements})`);
        }
        const ids = new Set<string>();
        b.elements.forEach((el, j) => { checkElement(`${where}.elements[${j}]`, el, ids); });
        break;
      }
      default:
        // divider and other block types: only the generic checks above apply.
        break;
    }
  });

  return problems;
}

/** {@link validateBlocks} plus the notification fallback `text` (present, non-empty, ≤ 3000). */
export function validateMessage(
  msg: { text: string; blocks: readonly (KnownBlock | Block)[] },
  opts: ValidateOptions = {},
): string[] {
  const problems = validateBlocks(msg.blocks, opts);
  if (typeof msg.text !== "string" || msg.text.length === 0) problems.push("text: missing or empty");
  else {
    if (msg.text.length > LIMITS.messageText) problems.push(`text: ${msg.text.length} chars (max ${LIMITS.messageText})`);
    if (BAD_AMP.test(msg.text)) problems.push('text: unescaped "&" or broken HTML entity');
  }
  return problems;
}
