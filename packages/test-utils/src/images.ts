import sharp from 'sharp';

/**
 * A photo-like JPEG (blurred noise under a colour gradient), by default the
 * 2725×2225 size of sharp's own benchmark image. Needs `sharp` (an optional
 * peer dependency of this package).
 */
export async function photoJpeg(width = 2725, height = 2225): Promise<Buffer> {
  const noise = await sharp({
    create: {
      width,
      height,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .blur(1.2)
    .png()
    .toBuffer();
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g"><stop offset="0" stop-color="#f80"/><stop offset="1" stop-color="#08f"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/></svg>`;
  const gradient = await sharp(Buffer.from(svg)).png().toBuffer();
  return sharp(noise)
    .composite([{ input: gradient, blend: 'overlay' }])
    .jpeg({ quality: 90 })
    .toBuffer();
}
