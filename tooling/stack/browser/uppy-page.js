/* global window, document */
// The page of the Uppy browser test (bundled by the test with esbuild, run in Chromium): @uppy/core and
// @uppy/aws-s3 from npm, configured as any app would — `endpoint` at the API, its key in `headers`, multipart
// for every size. The one thing an app adds: the file's size in its meta, which Companion's create request
// does not otherwise carry and which the API reserves against the quota. What @uppy/golden-retriever keeps
// across a reload (the file's `s3Multipart` state: upload id and key) is kept here in localStorage.
import AwsS3 from '@uppy/aws-s3';
import Uppy from '@uppy/core';

const SAVED = 'uppy-test-s3multipart';
window.uppyTest = { progress: 0, partsUploaded: 0 };

window.startUpload = async (apiUrl, apiKey) => {
  const input = document.querySelector('#file');
  const file = input.files[0];
  const uppy = new Uppy({ autoProceed: false }).use(AwsS3, {
    endpoint: apiUrl,
    headers: { authorization: `Bearer ${apiKey}` },
    shouldUseMultipart: true,
    limit: 4,
  });
  const id = uppy.addFile({
    name: file.name,
    type: file.type || 'application/octet-stream',
    data: file,
    meta: { size: file.size },
  });
  const saved = localStorage.getItem(SAVED);
  if (saved) uppy.setFileState(id, { s3Multipart: JSON.parse(saved) });
  uppy.on('state-update', () => {
    const state = uppy.getFile(id)?.s3Multipart;
    if (state?.uploadId) localStorage.setItem(SAVED, JSON.stringify(state));
  });
  uppy.on('progress', (progress) => {
    window.uppyTest.progress = progress;
  });
  uppy.on('s3-multipart:part-uploaded', () => {
    window.uppyTest.partsUploaded += 1;
  });
  uppy.on('upload-error', (_file, error) => {
    window.uppyTest.error = String(error?.message ?? error);
  });
  window.pauseResume = () => {
    uppy.pauseResume(id);
  };
  const result = await uppy.upload();
  const success = result?.successful?.[0];
  if (success) {
    localStorage.removeItem(SAVED);
    window.uppyTest.done = {
      location: success.uploadURL,
      key: success.response?.body?.key,
    };
  } else window.uppyTest.error ??= 'upload failed';
};
