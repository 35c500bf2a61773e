import type { Provenance } from './image-job.js';

export type { Provenance };

/** IPTC's digital source type for media made by a trained algorithm (generative AI). */
export const AI_DIGITAL_SOURCE_TYPE =
  'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';

const escapeXml = (value: string) => value.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The XMP packet every output carries: IPTC `DigitalSourceType` (trained algorithmic media), the tool as
 * `xmp:CreatorTool` and, when known, the model. Nothing else of the source's metadata survives (EXIF, GPS).
 */
export function provenanceXmp(
  provenance: Pick<Provenance, 'creatorTool' | 'model' | 'digitalSourceType'>,
): string {
  const model = provenance.model
    ? `\n    Iptc4xmpExt:AISystemUsed="${escapeXml(provenance.model)}"`
    : '';
  return `<?xpacket begin="\uFEFF" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    Iptc4xmpExt:DigitalSourceType="${escapeXml(provenance.digitalSourceType)}"
    xmp:CreatorTool="${escapeXml(provenance.creatorTool)}"${model}/>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>`;
}

/**
 * Looks for a C2PA manifest store (a JUMBF `jumb` box labelled `c2pa`) in bytes that arrive in chunks,
 * across chunk boundaries.
 */
export class C2paScanner {
  #tail = Buffer.alloc(0);
  #jumb = false;
  #c2pa = false;

  /** Scans the next chunk. */
  push(bytes: Uint8Array): void {
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const edge = Buffer.concat([this.#tail, chunk.subarray(0, 3)]);
    this.#jumb ||= chunk.includes('jumb') || edge.includes('jumb');
    this.#c2pa ||= chunk.includes('c2pa') || edge.includes('c2pa');
    this.#tail = Buffer.from(chunk.subarray(-3));
  }

  /** True once both markers were seen. */
  get found(): boolean {
    return this.#jumb && this.#c2pa;
  }
}

/** True when the bytes hold a C2PA manifest store (a JUMBF box labelled `c2pa`). */
export function hasC2paManifest(bytes: Uint8Array): boolean {
  const scanner = new C2paScanner();
  scanner.push(bytes);
  return scanner.found;
}
