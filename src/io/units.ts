/** Physical length units of image metadata (OME, ImageJ, OME-NGFF). */

/**
 * Length unit → micrometres (spec 3.3 plus fix Q21). Case-insensitive, trimmed. µm-class: `micron(s)`,
 * `um`, `µm` (U+00B5), `μm` (U+03BC), `micrometer(s)`, `micrometre(s)`; nm-class 1e-3; mm-class 1e3;
 * `cm`-class 1e4; m-class 1e6; Å (U+00C5 or U+212B) / `angstrom(s)` 1e-4. Unknown → null.
 */
export function unitToMicrometres(unit: string): number | null {
  const u = unit.trim().toLowerCase().replace(/\u03bc/g, 'µ');
  switch (u) {
    case 'micron':
    case 'microns':
    case 'um':
    case 'µm':
    case 'micrometer':
    case 'micrometers':
    case 'micrometre':
    case 'micrometres':
      return 1;
    case 'nm':
    case 'nanometer':
    case 'nanometers':
    case 'nanometre':
    case 'nanometres':
      return 1e-3;
    case 'mm':
    case 'millimeter':
    case 'millimeters':
    case 'millimetre':
    case 'millimetres':
      return 1e3;
    case 'cm':
    case 'centimeter':
    case 'centimeters':
    case 'centimetre':
    case 'centimetres':
      return 1e4;
    case 'm':
    case 'meter':
    case 'meters':
    case 'metre':
    case 'metres':
      return 1e6;
    case 'å': // U+00C5 and U+212B both lower-case to U+00E5
    case 'angstrom':
    case 'angstroms':
      return 1e-4;
    default:
      return null;
  }
}
