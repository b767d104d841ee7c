/**
 * Lesson math, written in LaTeX-like notation, rendered as plain terminal text: Unicode
 * (`h_2 = h_1 + f_2[h_1, \phi_2]` -> `h₂ = h₁ + f₂[h₁, φ₂]`) or ASCII for terminals whose locale is
 * not UTF-8 (`h_2 = h_1 + f_2[h_1, phi_2]`). Spacing follows the source, so write math the way it
 * should read. Unknown commands are kept as written; `mathProblems` lists them for the checker.
 */

import { charsetFor, type Charset } from '../util/output-style.js';

export type { Charset };

/** The charset of every command's output (output-style: the locale, RESNET_TUTOR_CHARSET). */
export function charsetFromEnv(env: NodeJS.ProcessEnv = process.env, platform: string = process.platform): Charset {
  return charsetFor(env, platform);
}

// ---------------------------------------------------------------------------------------------
// Symbol tables: [unicode, ascii].

const GREEK: Record<string, [string, string]> = {
  alpha: ['α', 'alpha'], beta: ['β', 'beta'], gamma: ['γ', 'gamma'], delta: ['δ', 'delta'],
  epsilon: ['ε', 'eps'], varepsilon: ['ε', 'eps'], zeta: ['ζ', 'zeta'], eta: ['η', 'eta'],
  theta: ['θ', 'theta'], vartheta: ['ϑ', 'theta'], iota: ['ι', 'iota'], kappa: ['κ', 'kappa'],
  lambda: ['λ', 'lambda'], mu: ['μ', 'mu'], nu: ['ν', 'nu'], xi: ['ξ', 'xi'], pi: ['π', 'pi'],
  rho: ['ρ', 'rho'], sigma: ['σ', 'sigma'], tau: ['τ', 'tau'], upsilon: ['υ', 'upsilon'],
  phi: ['φ', 'phi'], varphi: ['φ', 'phi'], chi: ['χ', 'chi'], psi: ['ψ', 'psi'], omega: ['ω', 'omega'],
  Gamma: ['Γ', 'Gamma'], Delta: ['Δ', 'Delta'], Theta: ['Θ', 'Theta'], Lambda: ['Λ', 'Lambda'],
  Xi: ['Ξ', 'Xi'], Pi: ['Π', 'Pi'], Sigma: ['Σ', 'Sigma'], Upsilon: ['Υ', 'Upsilon'], Phi: ['Φ', 'Phi'],
  Psi: ['Ψ', 'Psi'], Omega: ['Ω', 'Omega'],
};

/** Symbols that stand alone, as written with the spaces around them in the source. */
const SYMBOLS: Record<string, [string, string]> = {
  partial: ['∂', 'd'], nabla: ['∇', 'grad '], sum: ['∑', 'sum'], prod: ['∏', 'prod'], int: ['∫', 'int'],
  infty: ['∞', 'inf'], forall: ['∀', 'for all '], exists: ['∃', 'exists '], neg: ['¬', 'not '],
  ldots: ['…', '...'], dots: ['…', '...'], cdots: ['⋯', '...'], vdots: ['⋮', ':'], prime: ['′', "'"],
  top: ['ᵀ', 'T'], circ: ['∘', 'o'], star: ['⋆', '*'], ell: ['ℓ', 'l'], emptyset: ['∅', '{}'],
  langle: ['⟨', '<'], rangle: ['⟩', '>'], lfloor: ['⌊', 'floor('], rfloor: ['⌋', ')'],
  lceil: ['⌈', 'ceil('], rceil: ['⌉', ')'], max: ['max', 'max'], min: ['min', 'min'],
  log: ['log', 'log'], exp: ['exp', 'exp'], ln: ['ln', 'ln'], sin: ['sin', 'sin'], cos: ['cos', 'cos'],
  tanh: ['tanh', 'tanh'], arg: ['arg', 'arg'], argmax: ['argmax', 'argmax'], argmin: ['argmin', 'argmin'],
  det: ['det', 'det'], lim: ['lim', 'lim'], Var: ['Var', 'Var'], square: ['□', '[]'],
};

/** Relations and binary operators: padded with one space on each side (collapsed later). */
const OPERATORS: Record<string, [string, string]> = {
  in: ['∈', 'in'], notin: ['∉', 'not in'], approx: ['≈', '~='], sim: ['∼', '~'], simeq: ['≃', '~='],
  equiv: ['≡', '=='], propto: ['∝', 'prop. to'], ne: ['≠', '!='], neq: ['≠', '!='],
  le: ['≤', '<='], leq: ['≤', '<='], ge: ['≥', '>='], geq: ['≥', '>='], ll: ['≪', '<<'], gg: ['≫', '>>'],
  to: ['→', '->'], rightarrow: ['→', '->'], leftarrow: ['←', '<-'], gets: ['←', '<-'],
  mapsto: ['↦', '|->'], Rightarrow: ['⇒', '=>'], implies: ['⇒', '=>'], Leftarrow: ['⇐', '<='],
  iff: ['⇔', '<=>'], Leftrightarrow: ['⇔', '<=>'], leftrightarrow: ['↔', '<->'],
  cdot: ['·', '*'], times: ['×', 'x'], div: ['÷', '/'], pm: ['±', '+/-'], mp: ['∓', '-/+'],
  odot: ['⊙', '(.)'], otimes: ['⊗', '(x)'], oplus: ['⊕', '(+)'], cup: ['∪', 'u'], cap: ['∩', 'n'],
  subset: ['⊂', 'subset of'], subseteq: ['⊆', 'subset of'], setminus: ['∖', '\\'], mid: ['|', '|'],
};

/** Commands that print nothing or a fixed space. `\u0001` marks a quad, which survives collapsing. */
const SPACES: Record<string, string> = {
  quad: '\u0001', qquad: '\u0001\u0001', ',': ' ', ';': ' ', ':': ' ', '>': ' ', ' ': ' ', '!': '',
  displaystyle: '', textstyle: '', limits: '', nolimits: '', big: '', Big: '', bigg: '', Bigg: '',
  bigl: '', bigr: '', Bigl: '', Bigr: '', biggl: '', biggr: '', middle: '',
};

const ESCAPED: Record<string, [string, string]> = {
  '{': ['{', '{'], '}': ['}', '}'], '|': ['‖', '||'], '%': ['%', '%'], $: ['$', '$'], '#': ['#', '#'], _: ['_', '_'], '&': ['&', '&'],
};

const ACCENTS: Record<string, string> = {
  hat: '\u0302', widehat: '\u0302', bar: '\u0304', overline: '\u0305', tilde: '\u0303', widetilde: '\u0303',
  dot: '\u0307', ddot: '\u0308', vec: '\u20d7', check: '\u030c', breve: '\u0306',
};

/** Fonts whose argument is shown as plain letters (bold and roman are dropped in a terminal). */
const PLAIN_FONTS = new Set(['mathbf', 'boldsymbol', 'bm', 'mathrm', 'mathit', 'mathsf', 'mathtt', 'mathnormal', 'mathbfit']);
/** Fonts whose argument is text: spaces kept, no sub/superscripts. */
const TEXT_FONTS = new Set(['text', 'textrm', 'textit', 'textbf', 'mbox', 'operatorname', 'textnormal']);

const SCRIPT: Record<string, string> = {
  A: '𝒜', B: 'ℬ', C: '𝒞', D: '𝒟', E: 'ℰ', F: 'ℱ', G: '𝒢', H: 'ℋ', I: 'ℐ', J: '𝒥', K: '𝒦', L: 'ℒ', M: 'ℳ',
  N: '𝒩', O: '𝒪', P: '𝒫', Q: '𝒬', R: 'ℛ', S: '𝒮', T: '𝒯', U: '𝒰', V: '𝒱', W: '𝒲', X: '𝒳', Y: '𝒴', Z: '𝒵',
};
const DOUBLE_STRUCK: Record<string, string> = { R: 'ℝ', N: 'ℕ', Z: 'ℤ', Q: 'ℚ', C: 'ℂ', E: '𝔼', P: 'ℙ', '1': '𝟙' };

const SUB: Record<string, string> = {
  '0': '₀', '1': '₁', '2': '₂', '3': '₃', '4': '₄', '5': '₅', '6': '₆', '7': '₇', '8': '₈', '9': '₉',
  '+': '₊', '-': '₋', '−': '₋', '=': '₌', '(': '₍', ')': '₎',
  a: 'ₐ', e: 'ₑ', h: 'ₕ', i: 'ᵢ', j: 'ⱼ', k: 'ₖ', l: 'ₗ', m: 'ₘ', n: 'ₙ', o: 'ₒ', p: 'ₚ', r: 'ᵣ', s: 'ₛ',
  t: 'ₜ', u: 'ᵤ', v: 'ᵥ', x: 'ₓ', β: 'ᵦ', γ: 'ᵧ', ρ: 'ᵨ', φ: 'ᵩ', χ: 'ᵪ',
};
const SUP: Record<string, string> = {
  '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹',
  '+': '⁺', '-': '⁻', '−': '⁻', '=': '⁼', '(': '⁽', ')': '⁾', '′': '′', "'": '′', '*': '*', ᵀ: 'ᵀ',
  a: 'ᵃ', b: 'ᵇ', c: 'ᶜ', d: 'ᵈ', e: 'ᵉ', f: 'ᶠ', g: 'ᵍ', h: 'ʰ', i: 'ⁱ', j: 'ʲ', k: 'ᵏ', l: 'ˡ', m: 'ᵐ',
  n: 'ⁿ', o: 'ᵒ', p: 'ᵖ', r: 'ʳ', s: 'ˢ', t: 'ᵗ', u: 'ᵘ', v: 'ᵛ', w: 'ʷ', x: 'ˣ', y: 'ʸ', z: 'ᶻ',
  A: 'ᴬ', B: 'ᴮ', D: 'ᴰ', E: 'ᴱ', G: 'ᴳ', H: 'ᴴ', I: 'ᴵ', J: 'ᴶ', K: 'ᴷ', L: 'ᴸ', M: 'ᴹ', N: 'ᴺ', O: 'ᴼ',
  P: 'ᴾ', R: 'ᴿ', T: 'ᵀ', U: 'ᵁ', V: 'ⱽ', W: 'ᵂ',
  α: 'ᵅ', β: 'ᵝ', γ: 'ᵞ', δ: 'ᵟ', ε: 'ᵋ', θ: 'ᶿ', ι: 'ᶥ', φ: 'ᵠ', χ: 'ᵡ',
};

const KNOWN = new Set([
  ...Object.keys(GREEK), ...Object.keys(SYMBOLS), ...Object.keys(OPERATORS), ...Object.keys(SPACES),
  ...Object.keys(ACCENTS), ...PLAIN_FONTS, ...TEXT_FONTS,
  'mathcal', 'mathscr', 'mathbb', 'frac', 'dfrac', 'tfrac', 'sqrt', 'left', 'right', 'begin', 'end', '\\',
]);

// ---------------------------------------------------------------------------------------------
// Tokens.

type Token =
  | { readonly t: 'char'; readonly c: string }
  | { readonly t: 'space' }
  | { readonly t: 'cmd'; readonly name: string }
  | { readonly t: 'open' }
  | { readonly t: 'close' }
  | { readonly t: 'sub' }
  | { readonly t: 'sup' };

function tokenize(tex: string): Token[] {
  const out: Token[] = [];
  const chars = Array.from(tex);
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    if (c === '\\') {
      const next = chars[i + 1];
      if (next === undefined) {
        out.push({ t: 'char', c: '\\' });
      } else if (/[A-Za-z]/.test(next)) {
        let name = '';
        while (i + 1 < chars.length && /[A-Za-z]/.test(chars[i + 1]!)) name += chars[++i];
        out.push({ t: 'cmd', name });
      } else {
        out.push({ t: 'cmd', name: next });
        i++;
      }
    } else if (/\s/.test(c)) {
      if (out[out.length - 1]?.t !== 'space') out.push({ t: 'space' });
    } else if (c === '{') out.push({ t: 'open' });
    else if (c === '}') out.push({ t: 'close' });
    else if (c === '_') out.push({ t: 'sub' });
    else if (c === '^') out.push({ t: 'sup' });
    else out.push({ t: 'char', c });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Rendering.

interface Piece {
  readonly text: string;
  /** One token (a letter, a digit, a symbol): no braces or parentheses needed around it. */
  readonly single: boolean;
}

class Renderer {
  private i = 0;
  constructor(
    private readonly tokens: readonly Token[],
    private readonly ascii: boolean,
    readonly problems: string[],
  ) {}

  /** Renders tokens until a closing brace (consumed) or the end. */
  sequence(inScript: boolean): string {
    let out = '';
    while (this.i < this.tokens.length) {
      const tok = this.tokens[this.i]!;
      if (tok.t === 'close') {
        this.i++;
        return out;
      }
      if (tok.t === 'sub' || tok.t === 'sup') {
        this.i++;
        const piece = this.atom(true);
        out += this.script(piece, tok.t);
        continue;
      }
      out = this.append(out, this.item(inScript));
    }
    return out;
  }

  /** `\left`/`\right` trim the spaces around them; everything else is appended as is. */
  private append(out: string, next: string): string {
    if (next.startsWith('\u0002')) return out.replace(/ +$/, '') + next.slice(1);
    return out + next;
  }

  /** One unit of output at the current position (which is not `_`, `^` or `}`). */
  private item(inScript: boolean): string {
    const tok = this.tokens[this.i++]!;
    switch (tok.t) {
      case 'space':
        return ' ';
      case 'char':
        if (tok.c === '&') return '';
        if (tok.c === '~') return ' ';
        return tok.c;
      case 'open':
        return this.sequence(inScript);
      case 'cmd':
        return this.command(tok.name, inScript);
      // The callers stop at these, so only a stray one reaches here; it prints nothing.
      case 'close':
      case 'sub':
      case 'sup':
        return '';
    }
  }

  /** The argument of a command or script: a braced group or a single token. */
  atom(skipSpaces: boolean): Piece {
    if (skipSpaces) this.skipSpaces();
    const tok = this.tokens[this.i];
    if (!tok || tok.t === 'close') return { text: '', single: true };
    if (tok.t === 'open') {
      this.i++;
      const start = this.i;
      const text = this.sequence(true);
      // A group of one token (`{2}`, `{\phi}`) is still single.
      const inner = this.tokens.slice(start, this.i - 1).filter((t) => t.t !== 'space');
      return { text, single: inner.length <= 1 };
    }
    if (tok.t === 'sub' || tok.t === 'sup') {
      this.i++;
      return { text: '', single: true };
    }
    return { text: this.item(true), single: true };
  }

  private skipSpaces(): void {
    while (this.tokens[this.i]?.t === 'space') this.i++;
  }

  private script(piece: Piece, kind: 'sub' | 'sup'): string {
    const text = this.ascii ? piece.text.replace(/ +/g, ' ').trim() : piece.text.replace(/\s+/g, '');
    if (text === '') return '';
    const mark = kind === 'sub' ? '_' : '^';
    if (!this.ascii) {
      const table = kind === 'sub' ? SUB : SUP;
      const chars = Array.from(text);
      if (chars.every((c) => table[c] !== undefined)) return chars.map((c) => table[c]).join('');
    }
    if (piece.single && Array.from(text).length === 1) return mark + text;
    // A command's name or a number reads without brackets (x_max, 2^16); anything else gets parentheses,
    // never LaTeX's braces: `∑_{i∈ℬ}` reads `∑_(i∈ℬ)`, `h_{k-1}` reads `h_(k-1)`.
    if ((piece.single && /^[A-Za-z]+$/.test(text)) || (this.ascii && /^[0-9]+$/.test(text))) return mark + text;
    return `${mark}(${text})`;
  }

  private command(name: string, inScript: boolean): string {
    const u = this.ascii ? 1 : 0;
    if (GREEK[name]) return GREEK[name]![u];
    if (OPERATORS[name]) {
      return ` ${OPERATORS[name]![u]} `;
    }
    if (SYMBOLS[name]) {
      // `\partial y` reads ∂y: the prefix symbols eat the space after them.
      if (['partial', 'nabla', 'forall', 'exists', 'neg'].includes(name)) this.skipSpaces();
      return SYMBOLS[name]![u];
    }
    if (name in SPACES) return SPACES[name]!;
    if (ESCAPED[name]) return ESCAPED[name]![u];
    if (name === '\\') return '\n';
    if (ACCENTS[name]) {
      const arg = this.atom(true);
      if (this.ascii) return `${name.replace(/^wide/, '')}(${arg.text})`;
      const chars = Array.from(arg.text);
      if (chars.length === 1) return (arg.text + ACCENTS[name]).normalize('NFC');
      return `${name.replace(/^wide/, '')}(${arg.text})`;
    }
    if (PLAIN_FONTS.has(name)) return this.atom(true).text;
    if (TEXT_FONTS.has(name)) return this.rawArgument();
    if (name === 'mathcal' || name === 'mathscr' || name === 'mathbb') {
      const arg = this.atom(true).text;
      if (this.ascii) return arg;
      const table = name === 'mathbb' ? DOUBLE_STRUCK : SCRIPT;
      return Array.from(arg).map((c) => table[c] ?? c).join('');
    }
    if (name === 'frac' || name === 'dfrac' || name === 'tfrac') {
      const num = this.atom(true).text.trim();
      const den = this.atom(true).text.trim();
      return `${wrap(num)}/${wrap(den)}`;
    }
    if (name === 'sqrt') {
      let index = '';
      this.skipSpaces();
      const tok = this.tokens[this.i];
      if (tok?.t === 'char' && tok.c === '[') {
        this.i++;
        while (this.i < this.tokens.length) {
          const t = this.tokens[this.i]!;
          if (t.t === 'char' && t.c === ']') {
            this.i++;
            break;
          }
          index += this.item(true);
        }
      }
      const arg = this.atom(true).text.trim();
      if (this.ascii) return index ? `root${index}(${arg})` : `sqrt(${arg})`;
      const root = index ? this.script({ text: index, single: true }, 'sup') + '√' : '√';
      return root + (needsParens(arg) ? `(${arg})` : arg);
    }
    if (name === 'left' || name === 'right') {
      this.skipSpaces();
      const tok = this.tokens[this.i];
      if (tok?.t === 'char' && tok.c === '.') this.i++;
      if (name === 'left') {
        const delim = this.tokens[this.i] ? this.item(inScript) : '';
        this.skipSpaces();
        return `\u0002${delim}`;
      }
      return '\u0002';
    }
    if (name === 'begin' || name === 'end') {
      this.rawArgument();
      return '';
    }
    this.problems.push(`unknown math command \\${name}`);
    return `\\${name}`;
  }

  /** A braced argument as literal text (for \text and environment names). */
  private rawArgument(): string {
    this.skipSpaces();
    if (this.tokens[this.i]?.t !== 'open') return '';
    this.i++;
    let depth = 1;
    let out = '';
    while (this.i < this.tokens.length) {
      const tok = this.tokens[this.i++]!;
      if (tok.t === 'open') depth++;
      if (tok.t === 'close' && --depth === 0) break;
      if (tok.t === 'char') out += tok.c;
      else if (tok.t === 'space') out += ' ';
      else if (tok.t === 'cmd') out += ESCAPED[tok.name]?.[0] ?? `\\${tok.name}`;
      else if (tok.t === 'sub') out += '_';
      else if (tok.t === 'sup') out += '^';
    }
    return out;
  }

  done(): boolean {
    return this.i >= this.tokens.length;
  }
}

/** Whether a fraction's part needs parentheses: it has a space or an operator outside brackets. */
function needsParens(s: string): boolean {
  let depth = 0;
  for (const c of s) {
    if ('([{⟨'.includes(c)) depth++;
    else if (')]}⟩'.includes(c)) depth--;
    else if (depth === 0 && (c === ' ' || '+-−=/,·×±∓<>≤≥≈∈→←'.includes(c))) return true;
  }
  return false;
}

function wrap(s: string): string {
  return needsParens(s) ? `(${s})` : s;
}

/** Renders one formula (display or inline) for the terminal. */
export function renderMath(tex: string, charset: Charset = 'unicode'): string {
  const r = new Renderer(tokenize(tex), charset === 'ascii', []);
  let out = '';
  while (!r.done()) out += r.sequence(false); // a stray `}` ends a sequence early; keep going
  return out
    .split('\n')
    .map((line) =>
      line
        .replace(/\u0002/g, '')
        .replace(/[ \u00a0]+/g, ' ')
        .trim()
        // \quad is three spaces wide with its neighbours, \qquad five.
        .replace(/ ?(\u0001+) ?/g, (_, q: string) => ' '.repeat(1 + 2 * q.length)),
    )
    .join('\n')
    .trim();
}

/** Replaces every `$...$` span of a prose text with its rendering; `\$` is a literal dollar sign. */
export function renderInline(text: string, charset: Charset = 'unicode'): string {
  return splitInline(text)
    .map((part) => (part.math ? renderMath(part.text, charset) : part.text.replace(/\\\$/g, '$')))
    .join('');
}

/** Prose and `$...$` math parts of a text, in order; `unclosed` when a `$` has no partner. */
export function splitInline(text: string): { text: string; math: boolean }[] & { unclosed?: boolean } {
  const parts: { text: string; math: boolean }[] & { unclosed?: boolean } = [];
  let buf = '';
  let math = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && text[i + 1] === '$') {
      buf += '\\$'; // kept escaped in both: renderInline unescapes prose, renderMath reads it as a command
      i++;
      continue;
    }
    if (c === '$') {
      if (buf !== '' || math) parts.push({ text: buf, math });
      buf = '';
      math = !math;
      continue;
    }
    buf += c;
  }
  if (math) {
    parts.unclosed = true;
    parts.push({ text: `$${buf}`, math: false });
  } else if (buf !== '') parts.push({ text: buf, math: false });
  return parts;
}

/** What is wrong with a formula: unknown commands, unbalanced braces. Empty when it renders cleanly. */
export function mathProblems(tex: string): string[] {
  const problems: string[] = [];
  const tokens = tokenize(tex);
  let depth = 0;
  for (const t of tokens) {
    if (t.t === 'open') depth++;
    if (t.t === 'close' && --depth < 0) {
      problems.push('a `}` closes no `{`');
      depth = 0;
    }
    if (t.t === 'cmd' && !KNOWN.has(t.name) && !ESCAPED[t.name]) problems.push(`unknown math command \\${t.name}`);
  }
  if (depth > 0) problems.push(`${depth === 1 ? 'a `{` is' : `${depth} \`{\` are`} not closed`);
  return [...new Set(problems)];
}

/** Problems of every `$...$` span of a prose text, plus an unclosed `$`. */
export function inlineMathProblems(text: string): string[] {
  const parts = splitInline(text);
  const out = parts.filter((p) => p.math).flatMap((p) => mathProblems(p.text));
  if (parts.unclosed) out.push('a `$` opens inline math that is not closed (write `\\$` for a dollar sign)');
  return [...new Set(out)];
}
