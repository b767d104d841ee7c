import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { charsetFromEnv, inlineMathProblems, mathProblems, renderInline, renderMath } from '../../src/lessons/math.js';

const u = (tex: string) => renderMath(tex, 'unicode');
const a = (tex: string) => renderMath(tex, 'ascii');

describe('renderMath (Unicode)', () => {
  it('renders the residual equation exactly', () => {
    expect(u('h_2 = h_1 + f_2[h_1, \\phi_2]')).toBe('h₂ = h₁ + f₂[h₁, φ₂]');
  });

  it('writes fractions as a/b, with parentheses only where needed', () => {
    expect(u('\\frac{\\partial y}{\\partial f_1}')).toBe('∂y/∂f₁');
    expect(u('\\frac{\\partial y}{\\partial f_1} = \\frac{\\partial f_4}{\\partial f_3} \\frac{\\partial f_3}{\\partial f_2} \\frac{\\partial f_2}{\\partial f_1}')).toBe(
      '∂y/∂f₁ = ∂f₄/∂f₃ ∂f₃/∂f₂ ∂f₂/∂f₁',
    );
    expect(u('\\frac{h_i - m_h}{s_h + \\epsilon}')).toBe('(hᵢ - mₕ)/(sₕ + ε)');
    expect(u('\\frac{1}{|\\mathcal{B}|}')).toBe('1/|ℬ|');
    expect(u('\\frac{a+b}{2}')).toBe('(a+b)/2');
    expect(u('\\frac12')).toBe('1/2');
  });

  it('renders Greek letters, hats and the BatchNorm equations', () => {
    expect(u('\\gamma \\hat{h}_i + \\delta')).toBe('γ ĥᵢ + δ');
    expect(u('\\alpha \\beta \\omega \\Omega \\sigma^2')).toBe('α β ω Ω σ²');
    expect(u('\\hat{h}_i \\leftarrow \\frac{h_i - m_h}{s_h + \\epsilon} \\quad \\forall i \\in \\mathcal{B}')).toBe(
      'ĥᵢ ← (hᵢ - mₕ)/(sₕ + ε)   ∀i ∈ ℬ',
    );
    expect(u('m_h = \\frac{1}{|\\mathcal{B}|} \\sum_{i \\in \\mathcal{B}} h_i')).toBe('mₕ = 1/|ℬ| ∑_(i∈ℬ) hᵢ');
    expect(u('s_h = \\sqrt{\\frac{1}{|\\mathcal{B}|} \\sum_{i \\in \\mathcal{B}} (h_i - m_h)^2}')).toBe('sₕ = √(1/|ℬ| ∑_(i∈ℬ) (hᵢ - mₕ)²)');
  });

  it('renders sums and products with sub- and superscripts', () => {
    expect(u('\\sum_{i \\in B}')).toBe('∑_(i∈B)');
    expect(u('h_i = a[\\beta_i + \\sum_{j=1}^{D} \\omega_{ij} x_j]')).toBe('hᵢ = a[βᵢ + ∑ⱼ₌₁ᴰ ωᵢⱼ xⱼ]');
    expect(u('\\prod_{k=1}^{K} (I + J_k)')).toBe('∏ₖ₌₁ᴷ (I + Jₖ)');
    expect(u('x_{i+j-2}')).toBe('xᵢ₊ⱼ₋₂');
  });

  it('uses Unicode superscripts where they exist and ^(...) otherwise', () => {
    expect(u('2^K')).toBe('2ᴷ');
    expect(u('2^{K-1}')).toBe('2ᴷ⁻¹');
    expect(u('k^{th}')).toBe('kᵗʰ');
    expect(u('x^q')).toBe('x^q');
    expect(u('x^{qq}')).toBe('x^(qq)');
    expect(u('h_B')).toBe('h_B');
    expect(u('x^T W')).toBe('xᵀ W');
  });

  it('drops bold, keeps script letters, and knows the common symbols', () => {
    expect(u('\\mathbf{h}_1 = \\mathbf{x} + \\mathbf{f}_1[\\mathbf{x}, \\phi_1]')).toBe('h₁ = x + f₁[x, φ₁]');
    expect(u('\\mathbf{y} = \\mathbf{f}_4 \\left[\\mathbf{f}_3 \\left[\\mathbf{x}, \\phi_3 \\right], \\phi_4 \\right]')).toBe('y = f₄[f₃[x, φ₃], φ₄]');
    expect(u('3 \\cdot 3 \\cdot C \\cdot C \\approx 9C^2')).toBe('3 · 3 · C · C ≈ 9C²');
    expect(u('\\mathbf{x} \\to y')).toBe('x → y');
    expect(u('\\text{Var}[h_k] = 2^k \\sigma^2')).toBe('Var[hₖ] = 2ᵏ σ²');
    expect(u('\\sqrt{2}')).toBe('√2');
    expect(u('\\mathbb{R}^D')).toBe('ℝᴰ');
  });

  it('keeps an unknown command visible, and reports it', () => {
    expect(u('\\foo{x}')).toBe('\\foox');
    expect(mathProblems('\\foo{x}')).toEqual(['unknown math command \\foo']);
    expect(mathProblems('\\frac{a}{b')).toEqual(['a `{` is not closed']);
    expect(mathProblems('a}')).toEqual(['a `}` closes no `{`']);
    expect(mathProblems('h_2 = h_1 + f_2[h_1, \\phi_2]')).toEqual([]);
  });
});

describe('renderMath (ASCII)', () => {
  it('writes the residual equation with plain subscripts and Greek names', () => {
    expect(a('h_2 = h_1 + f_2[h_1, \\phi_2]')).toBe('h_2 = h_1 + f_2[h_1, phi_2]');
  });

  it('writes fractions, sums, hats and superscripts in ASCII only', () => {
    expect(a('\\frac{\\partial y}{\\partial f_1}')).toBe('dy/df_1');
    expect(a('\\sum_{i \\in \\mathcal{B}} h_i')).toBe('sum_(i in B) h_i');
    expect(a('\\gamma \\hat{h}_i + \\delta')).toBe('gamma hat(h)_i + delta');
    expect(a('2^K')).toBe('2^K');
    expect(a('2^{K-1}')).toBe('2^(K-1)');
    expect(a('\\omega_{ij}')).toBe('omega_(ij)');
    expect(a('\\sqrt{x} \\approx 1 \\cdot 2')).toBe('sqrt(x) ~= 1 * 2');
    for (const tex of ['\\frac{h_i - m_h}{s_h + \\epsilon} \\quad \\forall i \\in \\mathcal{B}', 'x \\to y \\leftarrow z', '\\prod_{k} \\partial f_k']) {
      expect(a(tex)).toMatch(/^[\x20-\x7e]*$/);
    }
  });
});

describe('inline math', () => {
  it('renders $...$ spans and leaves the prose alone', () => {
    expect(renderInline('A block adds its input back: $h_2 = h_1 + f_2[h_1, \\phi_2]$.')).toBe('A block adds its input back: h₂ = h₁ + f₂[h₁, φ₂].');
    expect(renderInline('costs \\$5 and $2^K$ paths', 'ascii')).toBe('costs $5 and 2^K paths');
  });

  it('reports an unclosed $ and problems inside spans', () => {
    expect(inlineMathProblems('a $x_1 b')).toEqual(['a `$` opens inline math that is not closed (write `\\$` for a dollar sign)']);
    expect(inlineMathProblems('see $\\nope$')).toEqual(['unknown math command \\nope']);
    expect(inlineMathProblems('fine $x$ and \\$3')).toEqual([]);
  });
});

describe('charsetFromEnv', () => {
  it('is unicode for UTF-8 locales and ascii otherwise', () => {
    expect(charsetFromEnv({ LANG: 'en_US.UTF-8' }, 'linux')).toBe('unicode');
    expect(charsetFromEnv({ LC_ALL: 'C.utf8', LANG: 'C' }, 'linux')).toBe('unicode');
    expect(charsetFromEnv({ LANG: 'C' }, 'linux')).toBe('ascii');
    // No locale at all: Unicode, the one policy of every command (output-style.ts).
    expect(charsetFromEnv({}, 'linux')).toBe('unicode');
    expect(charsetFromEnv({ LC_ALL: 'POSIX', LANG: 'en_US.UTF-8' }, 'linux')).toBe('ascii');
    expect(charsetFromEnv({ LANG: 'C', RESNET_TUTOR_CHARSET: 'unicode' }, 'linux')).toBe('unicode');
    expect(charsetFromEnv({}, 'win32')).toBe('unicode');
  });
});

describe('lessons/FORMAT.md', () => {
  it('shows renderings that match the renderer', () => {
    const doc = readFileSync(join(import.meta.dirname, '..', '..', 'lessons', 'FORMAT.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Math'));
    const rows = section.split('\n').filter((l) => l.startsWith('| `'));
    expect(rows.length).toBeGreaterThan(5);
    for (const row of rows) {
      const cells = row.split(' | ').map((c) => [...c.matchAll(/`([^`]+)`/g)].map((m) => m[1]!));
      const [tex, uni, ascii] = cells as [string[], string[], string[]];
      tex.forEach((t, i) => {
        expect(u(t), t).toBe(uni[i]);
        expect(a(t), t).toBe(ascii[i]);
      });
    }
  });
});
