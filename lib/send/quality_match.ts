/**
 * One quality scale for both encoders: the sender's `--quality` goes to ffmpeg's mjpeg encoder as
 * a qscale (lib/capture's qualityToQscale), while libjpeg (the picture stage's re-encoder) takes
 * its own 1..100 quality. The same number means much finer quantizers to libjpeg than to ffmpeg,
 * so a re-encode "at quality 70" of ffmpeg's quality-80 frame would come out larger than it.
 * {@linkcode libjpegQualityFor} gives the libjpeg quality whose luma quantizers match ffmpeg's at
 * a `--quality`, so a ladder rung means about the same frame size whichever encoder made it, and
 * the ladder's model (sizes scaled by ffmpeg's qscale) holds across them.
 *
 * The match, from how each encoder builds its tables: ffmpeg quantizes luma AC coefficients with
 * the MPEG-1 default intra matrix × qscale / 8 (its DC step stays 8), whose 63 AC entries sum to
 * 2106; libjpeg scales ITU T.81 Table K.1 (AC entries summing to 3672) by S / 100, with
 * S = 5000 / quality below 50 and 200 − 2 × quality from 50 up. Equal sums give
 * S = 100 × (qscale / 8) × 2106 / 3672, then the quality that makes that S. Chroma differs
 * (ffmpeg uses the luma matrix for chroma too; libjpeg has the coarser Table K.2), which is why
 * libjpeg's frames at the matched quality are close to ffmpeg's, not equal.
 *
 * @example
 * ```ts
 * import { libjpegQualityFor } from "./quality_match.ts";
 *
 * // udpcam's default --quality 80 is ffmpeg's qscale 8: libjpeg's quality 71 quantizes alike.
 * if (libjpegQualityFor(80) !== 71) throw new Error("the match moved");
 * ```
 *
 * @module
 */

import { qualityToQscale } from "../capture/mod.ts";

/** Sum of the 63 AC entries of the MPEG-1 default intra matrix (ffmpeg's mjpeg luma at qscale 8). */
const FFMPEG_LUMA_AC_SUM_AT_QSCALE_8 = 2106;
/** Sum of the 63 AC entries of ITU T.81 Table K.1 (libjpeg's luma at quality 50). */
const ANNEX_K1_AC_SUM = 3672;

/**
 * The libjpeg quality (1..100) whose luma quantizers match ffmpeg's mjpeg encoder at `--quality
 * quality` (1..100, clamped); see the module docs.
 */
export function libjpegQualityFor(quality: number): number {
  const qscale = qualityToQscale(quality);
  const scalePercent = (100 * (qscale / 8) * FFMPEG_LUMA_AC_SUM_AT_QSCALE_8) / ANNEX_K1_AC_SUM;
  const libjpeg = scalePercent <= 100 ? (200 - scalePercent) / 2 : 5000 / scalePercent;
  return Math.min(100, Math.max(1, Math.round(libjpeg)));
}
