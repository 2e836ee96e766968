/**
 * The webcam as an image source: `start()` shows the camera in `video` and hands each frame to `onFrame`,
 * waiting for one frame's detection to finish before grabbing the next, so frames never pile up.
 */
export class Webcam {
  private stream: MediaStream | undefined;
  private running = false;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly onFrame: (frame: ImageBitmap) => Promise<void>,
  ) {}

  get active(): boolean {
    return this.running;
  }

  /** @throws the `getUserMedia` error (no camera, permission denied, insecure page). */
  async start(): Promise<void> {
    if (!navigator.mediaDevices?.getUserMedia) throw new Error('this browser has no camera access here (it needs https or localhost)');
    this.stream = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
    this.video.srcObject = this.stream;
    await this.video.play();
    this.running = true;
    void this.loop();
  }

  stop(): void {
    this.running = false;
    for (const track of this.stream?.getTracks() ?? []) track.stop();
    this.stream = undefined;
    this.video.srcObject = null;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      if (this.video.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA && this.video.videoWidth > 0) {
        await this.onFrame(await createImageBitmap(this.video));
      } else {
        await new Promise((resolve) => requestAnimationFrame(resolve));
      }
    }
  }
}
