/** IPTC's digital source type for media made by a trained algorithm (generative AI). */
export const AI_DIGITAL_SOURCE_TYPE =
  'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';

/** What the outputs of a job say about where they came from. */
export interface Provenance {
  /** IPTC `DigitalSourceType`, written into every output's XMP. */
  digitalSourceType: string;
  /** The generating tool, written as XMP `CreatorTool`. */
  creatorTool: string;
  /** The model, when the job names it (XMP and object metadata). */
  model?: string;
  /** SHA-256 of the source bytes (object metadata `source-sha256`). */
  sourceSha256: string;
  /** Whether the source carried a C2PA manifest (kept, untouched, in the stored original). */
  c2pa: 'present' | 'absent';
}

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

/** True when the bytes hold a C2PA manifest store (a JUMBF box labelled `c2pa`). */
export function hasC2paManifest(bytes: Uint8Array): boolean {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return buffer.includes('jumb') && buffer.includes('c2pa');
}
