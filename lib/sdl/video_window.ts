/**
 * A window that shows decoded video frames, built on our SDL2 binding.
 *
 * Two ways in, chosen by the renderer ({@linkcode VideoWindow.prefersXrgb}):
 * - a GPU renderer gets planar YUV: Y, U and V planes are uploaded into a streaming IYUV texture
 *   with `SDL_UpdateYUVTexture` and the GPU converts to RGB while drawing, using the JPEG
 *   (full-range BT.601) matrix;
 * - SDL's software renderer (no GPU, or the dummy video driver) would convert those planes on the
 *   CPU in a pass of its own, so there the decoder writes XRGB8888 (`lockXrgb` … `presentLocked`)
 *   straight into the window surface the renderer presents when the frame fills the window 1:1,
 *   and into a locked texture, which the renderer scales and letterboxes, when it does not.
 *
 * The window takes the frame's size (fitted to the screen) until the user resizes it, so frames
 * are not scaled on the way. The texture is created once per frame size and format.
 *
 * All methods must be called from the thread that opened the window (the main JS thread).
 *
 * @module
 */

import type { XrgbTarget } from "../decode/decoder.ts";
import { I420Converter, letterboxRect, type YuvImage } from "../image/mod.ts";
import {
  KEY_EVENT_REPEAT_OFFSET,
  KEY_EVENT_SYM_OFFSET,
  MOUSE_BUTTON_OFFSET,
  MOUSE_CLICKS_OFFSET,
  RENDERER_INFO_FLAGS_OFFSET,
  SDL_BUTTON_LEFT,
  SDL_EVENT_BYTES,
  SDL_INIT_VIDEO,
  SDL_KEYDOWN,
  SDL_MOUSEBUTTONDOWN,
  SDL_PIXELFORMAT_ABGR8888,
  SDL_PIXELFORMAT_IYUV,
  SDL_PIXELFORMAT_RGB888,
  SDL_PIXELFORMAT_RGBA8888,
  SDL_QUIT,
  SDL_RENDERER_INFO_BYTES,
  SDL_RENDERER_PRESENTVSYNC,
  SDL_RENDERER_SOFTWARE,
  SDL_RLEACCEL,
  SDL_TEXTUREACCESS_STREAMING,
  SDL_WINDOW_FULLSCREEN,
  SDL_WINDOW_FULLSCREEN_DESKTOP,
  SDL_WINDOW_HIDDEN,
  SDL_WINDOW_RESIZABLE,
  SDL_WINDOWEVENT,
  SDL_WINDOWEVENT_CLOSE,
  SDL_WINDOWEVENT_SIZE_CHANGED,
  SDL_WINDOWPOS_CENTERED,
  SDL_YUV_CONVERSION_JPEG,
  SDLK_ESCAPE,
  SDLK_F,
  SDLK_Q,
  SDLK_S,
  type SdlLibrary,
  SURFACE_FLAGS_OFFSET,
  SURFACE_FORMAT_OFFSET,
  SURFACE_HEIGHT_OFFSET,
  SURFACE_PITCH_OFFSET,
  SURFACE_PIXELS_OFFSET,
  SURFACE_WIDTH_OFFSET,
  WINDOW_EVENT_DATA1_OFFSET,
  WINDOW_EVENT_DATA2_OFFSET,
  WINDOW_EVENT_ID_OFFSET,
} from "./ffi.ts";
import { check, cString, openSdl } from "./library.ts";

/** Options for {@linkcode VideoWindow.open}. */
export interface VideoWindowOptions {
  /** Sync presents to the display refresh (default true). */
  vsync?: boolean;
  /** Create the window hidden (tests, screenshots); default false. */
  hidden?: boolean;
  /**
   * Size the window to each new frame size until the user resizes it (default true); false keeps
   * the size given to {@linkcode VideoWindow.open} and letterboxes frames into it.
   */
  fitToFrame?: boolean;
}

/** A user action reported by {@linkcode VideoWindow.pollEvents}. */
export type VideoWindowEvent =
  | { readonly type: "quit" }
  | { readonly type: "toggleFullscreen" }
  | { readonly type: "save" }
  | { readonly type: "resized"; readonly width: number; readonly height: number };

/** Pixels read back from the renderer: `width * height * 4` bytes, R, G, B, A per pixel. */
export interface RgbaPixels {
  /** Width in pixels. */
  readonly width: number;
  /** Height in pixels. */
  readonly height: number;
  /** Tightly packed RGBA rows. */
  readonly data: Uint8Array;
}

/**
 * Maps one raw SDL_Event (56 bytes, little-endian host) to the action udpcam takes, or null for
 * events it ignores. Offsets are documented in ./ffi.ts.
 */
export function parseSdlEvent(view: DataView): VideoWindowEvent | null {
  const type = view.getUint32(0, true);
  if (type === SDL_QUIT) return { type: "quit" };
  if (type === SDL_WINDOWEVENT) {
    const id = view.getUint8(WINDOW_EVENT_ID_OFFSET);
    if (id === SDL_WINDOWEVENT_CLOSE) return { type: "quit" };
    if (id === SDL_WINDOWEVENT_SIZE_CHANGED) {
      return {
        type: "resized",
        width: view.getInt32(WINDOW_EVENT_DATA1_OFFSET, true),
        height: view.getInt32(WINDOW_EVENT_DATA2_OFFSET, true),
      };
    }
    return null;
  }
  if (type === SDL_KEYDOWN) {
    if (view.getUint8(KEY_EVENT_REPEAT_OFFSET) !== 0) return null;
    const sym = view.getInt32(KEY_EVENT_SYM_OFFSET, true);
    if (sym === SDLK_Q || sym === SDLK_ESCAPE) return { type: "quit" };
    if (sym === SDLK_F) return { type: "toggleFullscreen" };
    if (sym === SDLK_S) return { type: "save" };
    return null;
  }
  if (
    type === SDL_MOUSEBUTTONDOWN && view.getUint8(MOUSE_BUTTON_OFFSET) === SDL_BUTTON_LEFT &&
    view.getUint8(MOUSE_CLICKS_OFFSET) === 2
  ) {
    return { type: "toggleFullscreen" };
  }
  return null;
}

/** Upper bound of events handled per {@linkcode VideoWindow.pollEvents} call. */
export const MAX_EVENTS_PER_POLL = 256;

const BACKGROUND = [16, 18, 22] as const;

/**
 * Where the next redraw takes its content from. "surface": a frame decoded straight into the
 * window surface (`pixels` is the address it was written to), still there unless SDL replaced the
 * surface (a resize).
 */
type Scene =
  | { kind: "blank" }
  | { kind: "video" }
  | { kind: "surface"; pixels: bigint; width: number; height: number }
  | { kind: "waiting"; nowMs: number };

/** The window surface's pixels, when a frame can be written into them as they are. */
interface SurfacePixels {
  pointer: Deno.PointerObject;
  address: bigint;
  pitchBytes: number;
}

/**
 * An SDL window with a renderer and one streaming IYUV texture.
 *
 * @example Show one decoded image until the window is closed (a function: opening a window
 * needs a display, so the doc test only type-checks it)
 * ```ts
 * import { VideoWindow } from "./video_window.ts";
 * import type { YuvImage } from "../image/mod.ts";
 *
 * export function showUntilClosed(image: YuvImage): void {
 *   const win = VideoWindow.open("udpcam", 1280, 720, { vsync: true });
 *   try {
 *     for (let shown = 0; shown < 10_000; shown++) {
 *       win.present(image);
 *       if (win.pollEvents().some((event) => event.type === "quit")) break;
 *     }
 *   } finally {
 *     win.close();
 *   }
 * }
 * ```
 */
export class VideoWindow {
  #lib: SdlLibrary;
  #window: Deno.PointerObject | null;
  #renderer: Deno.PointerObject | null;
  #texture: Deno.PointerObject | null = null;
  #textureWidth = 0;
  #textureHeight = 0;
  #textureFormat = 0;
  /**
   * What a decoder is writing into between lockXrgb and presentLocked: the texture, or the window
   * surface itself; null when nothing is locked.
   */
  #locked:
    | { kind: "texture" }
    | { kind: "surface"; address: bigint; width: number; height: number }
    | null = null;
  /** The last frame size seen, to size the window to new frame sizes. */
  #frameWidth = 0;
  #frameHeight = 0;
  #framesToSurface = 0;
  readonly #prefersXrgb: boolean;
  /** The window follows the frame size until the user resizes it or goes fullscreen. */
  #followFrameSize = true;
  /** The size last asked for with SDL_SetWindowSize, to tell our resizes from the user's. */
  #requestedSize: { width: number; height: number } | null = null;
  #textureCreations = 0;
  #converter = new I420Converter();
  #scene: Scene = { kind: "blank" };
  #event = new Uint8Array(SDL_EVENT_BYTES);
  #eventView = new DataView(this.#event.buffer);
  #rect = new Int32Array(4);
  #sizeW = new Int32Array(1);
  #sizeH = new Int32Array(1);

  private constructor(lib: SdlLibrary, window: Deno.PointerObject, renderer: Deno.PointerObject) {
    this.#lib = lib;
    this.#window = window;
    this.#renderer = renderer;
    const info = new Uint8Array(SDL_RENDERER_INFO_BYTES);
    const flags = lib.symbols.SDL_GetRendererInfo(renderer, info) === 0
      ? new DataView(info.buffer).getUint32(RENDERER_INFO_FLAGS_OFFSET, true)
      : 0;
    this.#prefersXrgb = (flags & SDL_RENDERER_SOFTWARE) !== 0;
  }

  /**
   * Initialises SDL video, creates a resizable window of `width` x `height` and its renderer.
   *
   * @throws {UserError} when SDL2 is not installed.
   * @throws {SdlError} when SDL cannot open a window (no display, bad driver).
   */
  static open(
    title: string,
    width: number,
    height: number,
    options: VideoWindowOptions = {},
  ): VideoWindow {
    const lib = openSdl();
    const sdl = lib.symbols;
    // Smooth scaling when the window is not the frame size; SDL reads hints at creation time.
    sdl.SDL_SetHint(cString("SDL_RENDER_SCALE_QUALITY"), cString("linear"));
    // Deno already handles SIGINT and SIGTERM for the programs. SDL's own handlers would replace
    // Deno's on the first signal (SDL re-installs itself with signal(2)) and reset them to the
    // default action on SDL_Quit, so a signal at the wrong moment could kill the process.
    sdl.SDL_SetHint(cString("SDL_NO_SIGNAL_HANDLERS"), cString("1"));
    check(lib, sdl.SDL_InitSubSystem(SDL_INIT_VIDEO), "SDL_InitSubSystem");
    let window: Deno.PointerObject | null = null;
    try {
      const flags = SDL_WINDOW_RESIZABLE | (options.hidden ? SDL_WINDOW_HIDDEN : 0);
      window = check(
        lib,
        sdl.SDL_CreateWindow(
          cString(title),
          SDL_WINDOWPOS_CENTERED,
          SDL_WINDOWPOS_CENTERED,
          Math.max(1, Math.round(width)),
          Math.max(1, Math.round(height)),
          flags,
        ),
        "SDL_CreateWindow",
      );
      const rendererFlags = options.vsync === false ? 0 : SDL_RENDERER_PRESENTVSYNC;
      const renderer = check(
        lib,
        sdl.SDL_CreateRenderer(window, -1, rendererFlags),
        "SDL_CreateRenderer",
      );
      // A global setting, read when YUV textures are drawn: JFIF is full-range BT.601.
      sdl.SDL_SetYUVConversionMode(SDL_YUV_CONVERSION_JPEG);
      const opened = new VideoWindow(lib, window, renderer);
      opened.#followFrameSize = options.fitToFrame ?? true;
      return opened;
    } catch (error) {
      if (window) sdl.SDL_DestroyWindow(window);
      sdl.SDL_QuitSubSystem(SDL_INIT_VIDEO);
      throw error;
    }
  }

  /**
   * The video driver SDL chose for this window (`x11`, `wayland`, `cocoa`, `windows`, `offscreen`,
   * `dummy`, ...): SDL_GetCurrentVideoDriver, or "" if SDL names none.
   */
  get videoDriver(): string {
    const pointer = this.#lib.symbols.SDL_GetCurrentVideoDriver();
    return pointer === null ? "" : Deno.UnsafePointerView.getCString(pointer);
  }

  /** How many IYUV textures were created so far: grows only when the frame size changes. */
  get textureCreations(): number {
    return this.#textureCreations;
  }

  /** How many frames were decoded straight into the window surface (see `lockXrgb`). */
  get framesToSurface(): number {
    return this.#framesToSurface;
  }

  /**
   * Whether frames are cheapest as XRGB8888 through {@linkcode VideoWindow.lockXrgb}: true on SDL's
   * software renderer, which draws on the CPU; false on GPU renderers, which take YUV planes
   * ({@linkcode VideoWindow.present}) and convert them themselves.
   */
  get prefersXrgb(): boolean {
    return this.#prefersXrgb;
  }

  /** Whether {@linkcode VideoWindow.close} has run. */
  get closed(): boolean {
    return this.#renderer === null;
  }

  /**
   * Shows `image`, letterboxed to its aspect ratio. 4:2:2, 4:4:4 and greyscale images are converted
   * to 4:2:0 first (into reused buffers); 4:2:0 planes are uploaded as they are.
   */
  present(image: YuvImage): void {
    const renderer = this.#live();
    const i420 = this.#converter.convert(image);
    this.#noteFrameSize(i420.width, i420.height);
    this.#ensureTexture(i420.width, i420.height, SDL_PIXELFORMAT_IYUV);
    check(
      this.#lib,
      this.#lib.symbols.SDL_UpdateYUVTexture(
        this.#texture,
        null,
        i420.planes[0],
        i420.strides[0],
        i420.planes[1],
        i420.strides[1],
        i420.planes[2],
        i420.strides[2],
      ),
      "SDL_UpdateYUVTexture",
    );
    this.#scene = { kind: "video" };
    this.#draw();
    this.#lib.symbols.SDL_RenderPresent(renderer);
  }

  /**
   * Hands a decoder XRGB8888 memory for a `width` x `height` frame (see
   * {@linkcode JpegDecoder.decodeXrgb}); end with {@linkcode VideoWindow.presentLocked} or, if the
   * decode failed, {@linkcode VideoWindow.discardLocked}. Nothing else may be drawn or polled in
   * between.
   *
   * When the window shows the frame 1:1 (the usual case: the window takes the frame's size) and
   * its surface is XRGB8888, that memory is the window surface itself, which SDL's software
   * renderer presents: no texture and no copy (what that saves: docs/benchmarks.md, "Figures behind
   * design choices").
   * Otherwise it is a locked streaming texture, which presenting scales and letterboxes.
   */
  lockXrgb(width: number, height: number): XrgbTarget {
    this.#live();
    if (this.#locked) throw new Error("Cannot lock the texture: it is already locked.");
    this.#noteFrameSize(width, height);
    const surface = this.#prefersXrgb ? this.#surfacePixels(width, height) : null;
    if (surface !== null) {
      this.#locked = { kind: "surface", address: surface.address, width, height };
      return { pointer: surface.pointer, pitchBytes: surface.pitchBytes };
    }
    this.#ensureTexture(width, height, SDL_PIXELFORMAT_RGB888);
    const pixels = new BigUint64Array(1);
    const pitch = new Int32Array(1);
    check(
      this.#lib,
      this.#lib.symbols.SDL_LockTexture(this.#texture, null, pixels, pitch),
      "SDL_LockTexture",
    );
    const pointer = Deno.UnsafePointer.create(pixels[0]);
    if (pointer === null) {
      this.#lib.symbols.SDL_UnlockTexture(this.#texture);
      throw new Error("Cannot lock the texture: SDL returned no pixels.");
    }
    this.#locked = { kind: "texture" };
    return { pointer, pitchBytes: pitch[0] };
  }

  /** Shows the frame written since {@linkcode VideoWindow.lockXrgb} (unlocking the texture). */
  presentLocked(): void {
    const renderer = this.#live();
    const locked = this.#locked;
    if (locked === null) throw new Error("Cannot present the texture: it is not locked.");
    this.#locked = null;
    if (locked.kind === "surface") {
      // The frame is in the surface the software renderer presents; nothing to draw.
      this.#scene = {
        kind: "surface",
        pixels: locked.address,
        width: locked.width,
        height: locked.height,
      };
      this.#framesToSurface++;
    } else {
      this.#lib.symbols.SDL_UnlockTexture(this.#texture);
      this.#scene = { kind: "video" };
      this.#draw();
    }
    this.#lib.symbols.SDL_RenderPresent(renderer);
  }

  /**
   * Ends a lock after a failed decode without showing anything. The texture or surface may hold
   * part of a frame, so redraws show the blank screen until the next frame (what is on screen
   * stays: the surface reaches the screen only when presented).
   */
  discardLocked(): void {
    this.#live();
    const locked = this.#locked;
    if (locked === null) return;
    this.#locked = null;
    if (locked.kind === "texture") this.#lib.symbols.SDL_UnlockTexture(this.#texture);
    this.#scene = { kind: "blank" };
  }

  /**
   * Draws the current content again (after a resize) and presents it. Returns false when that
   * content was a frame written into the window surface and SDL has replaced the surface since
   * (the window changed size): the blank screen is drawn instead, and the caller should show
   * the frame again.
   */
  redraw(): boolean {
    const renderer = this.#live();
    const fromSurface = this.#scene.kind === "surface";
    // #draw falls back to the blank scene when the surface no longer holds the frame.
    this.#draw();
    this.#lib.symbols.SDL_RenderPresent(renderer);
    return !(fromSurface && this.#scene.kind === "blank");
  }

  /**
   * Shows the "waiting for video" screen: a dark frame with a bar whose width and brightness pulse
   * with `nowMs` (pass a monotonic clock; one pulse takes 2 s).
   */
  presentWaiting(nowMs: number): void {
    const renderer = this.#live();
    this.#scene = { kind: "waiting", nowMs };
    this.#draw();
    this.#lib.symbols.SDL_RenderPresent(renderer);
  }

  /**
   * Drains SDL's event queue (at most {@linkcode MAX_EVENTS_PER_POLL} events) and returns the ones
   * udpcam reacts to: quit (close button, q, Esc), toggleFullscreen (f, double click), save (s) and
   * resized (new window size in window coordinates). Key auto-repeat is ignored.
   */
  pollEvents(): VideoWindowEvent[] {
    this.#live();
    const events: VideoWindowEvent[] = [];
    const view = this.#eventView;
    for (let n = 0; n < MAX_EVENTS_PER_POLL; n++) {
      if (this.#lib.symbols.SDL_PollEvent(this.#event) === 0) break;
      const event = parseSdlEvent(view);
      if (event === null) continue;
      if (event.type === "resized") this.#noteResize(event.width, event.height);
      events.push(event);
    }
    return events;
  }

  /** Sets the window title (e.g. to show fps and the sender). */
  setTitle(title: string): void {
    this.#lib.symbols.SDL_SetWindowTitle(this.#liveWindow(), cString(title));
  }

  /** Whether the window is currently fullscreen. */
  get fullscreen(): boolean {
    return (this.#lib.symbols.SDL_GetWindowFlags(this.#liveWindow()) & SDL_WINDOW_FULLSCREEN) !== 0;
  }

  /**
   * Switches between windowed and borderless desktop fullscreen.
   *
   * @returns whether the window is fullscreen afterwards.
   */
  toggleFullscreen(): boolean {
    const target = this.fullscreen ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP;
    this.#followFrameSize = false;
    check(
      this.#lib,
      this.#lib.symbols.SDL_SetWindowFullscreen(this.#liveWindow(), target),
      "SDL_SetWindowFullscreen",
    );
    return target !== 0;
  }

  /** Size of the drawable area in pixels (differs from the window size on HiDPI screens). */
  outputSize(): { width: number; height: number } {
    check(
      this.#lib,
      this.#lib.symbols.SDL_GetRendererOutputSize(this.#live(), this.#sizeW, this.#sizeH),
      "SDL_GetRendererOutputSize",
    );
    return { width: this.#sizeW[0], height: this.#sizeH[0] };
  }

  /**
   * Redraws the current content (last frame or waiting screen) and reads it back as RGBA. Slow; for
   * tests and snapshots. It reads before presenting because the back buffer is undefined after a
   * present on some renderers.
   */
  readPixelsRgba(): RgbaPixels {
    const renderer = this.#live();
    this.#draw();
    const { width, height } = this.outputSize();
    const data = new Uint8Array(width * height * 4);
    const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
    check(
      this.#lib,
      this.#lib.symbols.SDL_RenderReadPixels(
        renderer,
        null,
        littleEndian ? SDL_PIXELFORMAT_ABGR8888 : SDL_PIXELFORMAT_RGBA8888,
        data,
        width * 4,
      ),
      "SDL_RenderReadPixels",
    );
    return { width, height, data };
  }

  /** Destroys the texture, renderer and window and releases SDL video. Safe to call twice. */
  close(): void {
    if (this.#renderer === null) return;
    const sdl = this.#lib.symbols;
    if (this.#texture) sdl.SDL_DestroyTexture(this.#texture);
    sdl.SDL_DestroyRenderer(this.#renderer);
    if (this.#window) sdl.SDL_DestroyWindow(this.#window);
    this.#texture = null;
    this.#renderer = null;
    this.#window = null;
    sdl.SDL_QuitSubSystem(SDL_INIT_VIDEO);
  }

  #live(): Deno.PointerObject {
    if (this.#renderer === null) throw new Error("Cannot use VideoWindow: it is closed.");
    return this.#renderer;
  }

  #liveWindow(): Deno.PointerObject {
    this.#live();
    return this.#window!;
  }

  /** A resize we did not ask for is the user's (or the window manager's): stop following frames. */
  #noteResize(width: number, height: number): void {
    const asked = this.#requestedSize;
    if (asked === null || asked.width !== width || asked.height !== height) {
      this.#followFrameSize = false;
    }
  }

  /**
   * Sizes the window to a new frame size while it follows frames: the frame's own size, scaled
   * down to fit the display's usable area. Drivers without a screen (dummy, offscreen) report a
   * made-up display mode, so there the frame size is taken as it is.
   */
  #fitToFrame(width: number, height: number): void {
    if (!this.#followFrameSize || this.fullscreen) return;
    const sdl = this.#lib.symbols;
    const window = this.#liveWindow();
    let fitted = { width, height };
    const driver = this.videoDriver;
    const display = sdl.SDL_GetWindowDisplayIndex(window);
    if (driver !== "dummy" && driver !== "offscreen" && display >= 0) {
      const bounds = new Int32Array(4);
      if (sdl.SDL_GetDisplayUsableBounds(display, bounds) === 0 && bounds[2] > 0 && bounds[3] > 0) {
        const r = letterboxRect(width, height, bounds[2], bounds[3]);
        if (r.width < width) fitted = { width: r.width, height: r.height };
      }
    }
    this.#requestedSize = fitted;
    sdl.SDL_SetWindowSize(window, fitted.width, fitted.height);
  }

  /** Sizes the window to a frame size it has not seen yet (see `#fitToFrame`). */
  #noteFrameSize(width: number, height: number): void {
    if (width === this.#frameWidth && height === this.#frameHeight) return;
    this.#frameWidth = width;
    this.#frameHeight = height;
    this.#fitToFrame(width, height);
  }

  /**
   * The window surface's pixels, if a `width` x `height` frame can be decoded into them as they
   * are: the surface is that size (the renderer shows it 1:1), XRGB8888, and needs no locking.
   */
  #surfacePixels(width: number, height: number): SurfacePixels | null {
    const surface = this.#lib.symbols.SDL_GetWindowSurface(this.#liveWindow());
    if (surface === null) return null;
    const view = new Deno.UnsafePointerView(surface);
    const format = view.getPointer(SURFACE_FORMAT_OFFSET);
    const pointer = view.getPointer(SURFACE_PIXELS_OFFSET);
    if (
      format === null || pointer === null ||
      new Deno.UnsafePointerView(format).getUint32(0) !== SDL_PIXELFORMAT_RGB888 ||
      (view.getUint32(SURFACE_FLAGS_OFFSET) & SDL_RLEACCEL) !== 0 ||
      view.getInt32(SURFACE_WIDTH_OFFSET) !== width ||
      view.getInt32(SURFACE_HEIGHT_OFFSET) !== height
    ) {
      return null;
    }
    const pitchBytes = view.getInt32(SURFACE_PITCH_OFFSET);
    if (pitchBytes < width * 4) return null;
    return { pointer, address: BigInt(Deno.UnsafePointer.value(pointer)), pitchBytes };
  }

  /** Whether the window surface is still the one a frame was written into, at the same size. */
  #surfaceStillHolds(scene: { pixels: bigint; width: number; height: number }): boolean {
    const surface = this.#surfacePixels(scene.width, scene.height);
    return surface !== null && surface.address === scene.pixels;
  }

  #ensureTexture(width: number, height: number, format: number): void {
    if (
      this.#texture && width === this.#textureWidth && height === this.#textureHeight &&
      format === this.#textureFormat
    ) {
      return;
    }
    const sdl = this.#lib.symbols;
    if (this.#texture) sdl.SDL_DestroyTexture(this.#texture);
    this.#texture = null;
    this.#texture = check(
      this.#lib,
      sdl.SDL_CreateTexture(
        this.#live(),
        format,
        SDL_TEXTUREACCESS_STREAMING,
        width,
        height,
      ),
      "SDL_CreateTexture",
    );
    this.#textureWidth = width;
    this.#textureHeight = height;
    this.#textureFormat = format;
    this.#textureCreations++;
  }

  /** Draws the current scene into the back buffer without presenting it. */
  #draw(): void {
    const renderer = this.#live();
    const sdl = this.#lib.symbols;
    if (this.#scene.kind === "surface") {
      if (this.#surfaceStillHolds(this.#scene)) return;
      this.#scene = { kind: "blank" };
    }
    const { width, height } = this.outputSize();
    const scene = this.#scene;
    const video = scene.kind === "video" && this.#texture !== null;
    const r = video ? letterboxRect(this.#textureWidth, this.#textureHeight, width, height) : null;
    // A picture that covers the whole output hides the background: clearing would only cost a
    // pass over every pixel on a software renderer.
    if (r === null || r.width !== width || r.height !== height) {
      sdl.SDL_SetRenderDrawColor(renderer, BACKGROUND[0], BACKGROUND[1], BACKGROUND[2], 255);
      check(this.#lib, sdl.SDL_RenderClear(renderer), "SDL_RenderClear");
    }
    if (r !== null) {
      if (r.width === 0) return;
      this.#rect.set([r.x, r.y, r.width, r.height]);
      check(
        this.#lib,
        sdl.SDL_RenderCopy(renderer, this.#texture, null, this.#rect),
        "SDL_RenderCopy",
      );
    } else if (scene.kind === "waiting") {
      // Phase 0..1..0 over two seconds; the bar breathes between 20% and 60% of the width.
      const phase = 0.5 - 0.5 * Math.cos((scene.nowMs % 2000) / 2000 * 2 * Math.PI);
      const barWidth = Math.max(1, Math.round(width * (0.2 + 0.4 * phase)));
      const barHeight = Math.max(1, Math.round(height / 40));
      this.#rect.set([
        Math.floor((width - barWidth) / 2),
        Math.floor((height - barHeight) / 2),
        barWidth,
        barHeight,
      ]);
      const level = Math.round(70 + 110 * phase);
      sdl.SDL_SetRenderDrawColor(renderer, level >> 1, level, level, 255);
      check(this.#lib, sdl.SDL_RenderFillRect(renderer, this.#rect), "SDL_RenderFillRect");
    }
  }
}
