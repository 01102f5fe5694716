/**
 * The SDL2 functions udpcam calls, as a `Deno.dlopen` symbol table, plus the SDL constants they
 * take. Each entry carries its C prototype from SDL2's headers (SDL 2.0.10 or newer).
 *
 * C type mapping: `int`/`SDL_bool`/enums → `i32`, `Uint32` → `u32`, `Uint8` → `u8`, object
 * pointers (`SDL_Window*`, …) → `pointer`, pointers to memory we own (strings, rects, out-params,
 * pixel planes, the event buffer) → `buffer`, so plain typed arrays can be passed and `null`
 * stands for a NULL pointer.
 *
 * @module
 */

/** Symbols loaded from libSDL2. */
export const SDL_SYMBOLS = {
  /** int SDL_Init(Uint32 flags); */
  SDL_Init: { parameters: ["u32"], result: "i32" },
  /** void SDL_Quit(void); */
  SDL_Quit: { parameters: [], result: "void" },
  /** int SDL_InitSubSystem(Uint32 flags); -- reference counted per subsystem */
  SDL_InitSubSystem: { parameters: ["u32"], result: "i32" },
  /** void SDL_QuitSubSystem(Uint32 flags); */
  SDL_QuitSubSystem: { parameters: ["u32"], result: "void" },
  /**
   * void SDL_GetVersion(SDL_version *ver); -- SDL_version is { Uint8 major, minor, patch }, so
   * the out-parameter is 3 bytes. The linked library's version, for the doctor.
   */
  SDL_GetVersion: { parameters: ["buffer"], result: "void" },
  /** const char* SDL_GetError(void); */
  SDL_GetError: { parameters: [], result: "pointer" },
  /** SDL_bool SDL_SetHint(const char *name, const char *value); */
  SDL_SetHint: { parameters: ["buffer", "buffer"], result: "i32" },
  /** SDL_Window* SDL_CreateWindow(const char *title, int x, int y, int w, int h, Uint32 flags); */
  SDL_CreateWindow: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "u32"],
    result: "pointer",
  },
  /** void SDL_DestroyWindow(SDL_Window *window); */
  SDL_DestroyWindow: { parameters: ["pointer"], result: "void" },
  /** void SDL_SetWindowTitle(SDL_Window *window, const char *title); */
  SDL_SetWindowTitle: { parameters: ["pointer", "buffer"], result: "void" },
  /** int SDL_SetWindowFullscreen(SDL_Window *window, Uint32 flags); */
  SDL_SetWindowFullscreen: { parameters: ["pointer", "u32"], result: "i32" },
  /** Uint32 SDL_GetWindowFlags(SDL_Window *window); */
  SDL_GetWindowFlags: { parameters: ["pointer"], result: "u32" },
  /** void SDL_SetWindowSize(SDL_Window *window, int w, int h); -- in screen coordinates */
  SDL_SetWindowSize: { parameters: ["pointer", "i32", "i32"], result: "void" },
  /** int SDL_GetWindowDisplayIndex(SDL_Window *window); -- negative on error */
  SDL_GetWindowDisplayIndex: { parameters: ["pointer"], result: "i32" },
  /**
   * int SDL_GetDisplayUsableBounds(int displayIndex, SDL_Rect *rect); -- the display minus task
   * bars and docks; SDL_Rect is { int x, y, w, h }.
   */
  SDL_GetDisplayUsableBounds: { parameters: ["i32", "buffer"], result: "i32" },
  /** const char* SDL_GetCurrentVideoDriver(void); -- NULL before video is initialised */
  SDL_GetCurrentVideoDriver: { parameters: [], result: "pointer" },
  /** SDL_Renderer* SDL_CreateRenderer(SDL_Window *window, int index, Uint32 flags); */
  SDL_CreateRenderer: { parameters: ["pointer", "i32", "u32"], result: "pointer" },
  /** void SDL_DestroyRenderer(SDL_Renderer *renderer); */
  SDL_DestroyRenderer: { parameters: ["pointer"], result: "void" },
  /**
   * int SDL_GetRendererInfo(SDL_Renderer *renderer, SDL_RendererInfo *info); -- the struct is
   * { const char *name; Uint32 flags; Uint32 num_texture_formats; Uint32 texture_formats[16];
   * int max_texture_width; int max_texture_height; }: 88 bytes on 64-bit, flags at offset 8.
   */
  SDL_GetRendererInfo: { parameters: ["pointer", "buffer"], result: "i32" },
  /** int SDL_GetRendererOutputSize(SDL_Renderer *renderer, int *w, int *h); */
  SDL_GetRendererOutputSize: { parameters: ["pointer", "buffer", "buffer"], result: "i32" },
  /** int SDL_SetRenderDrawColor(SDL_Renderer *renderer, Uint8 r, Uint8 g, Uint8 b, Uint8 a); */
  SDL_SetRenderDrawColor: { parameters: ["pointer", "u8", "u8", "u8", "u8"], result: "i32" },
  /** int SDL_RenderClear(SDL_Renderer *renderer); */
  SDL_RenderClear: { parameters: ["pointer"], result: "i32" },
  /** int SDL_RenderFillRect(SDL_Renderer *renderer, const SDL_Rect *rect); */
  SDL_RenderFillRect: { parameters: ["pointer", "buffer"], result: "i32" },
  /**
   * int SDL_RenderCopy(SDL_Renderer *renderer, SDL_Texture *texture, const SDL_Rect *srcrect,
   *                    const SDL_Rect *dstrect);
   */
  SDL_RenderCopy: { parameters: ["pointer", "pointer", "buffer", "buffer"], result: "i32" },
  /** void SDL_RenderPresent(SDL_Renderer *renderer); */
  SDL_RenderPresent: { parameters: ["pointer"], result: "void" },
  /**
   * int SDL_RenderReadPixels(SDL_Renderer *renderer, const SDL_Rect *rect, Uint32 format,
   *                          void *pixels, int pitch);
   */
  SDL_RenderReadPixels: {
    parameters: ["pointer", "buffer", "u32", "buffer", "i32"],
    result: "i32",
  },
  /**
   * SDL_Texture* SDL_CreateTexture(SDL_Renderer *renderer, Uint32 format, int access, int w,
   *                                int h);
   */
  SDL_CreateTexture: { parameters: ["pointer", "u32", "i32", "i32", "i32"], result: "pointer" },
  /** void SDL_DestroyTexture(SDL_Texture *texture); */
  SDL_DestroyTexture: { parameters: ["pointer"], result: "void" },
  /**
   * int SDL_UpdateYUVTexture(SDL_Texture *texture, const SDL_Rect *rect,
   *                          const Uint8 *Yplane, int Ypitch, const Uint8 *Uplane, int Upitch,
   *                          const Uint8 *Vplane, int Vpitch);
   */
  SDL_UpdateYUVTexture: {
    parameters: ["pointer", "buffer", "buffer", "i32", "buffer", "i32", "buffer", "i32"],
    result: "i32",
  },
  /**
   * int SDL_UpdateTexture(SDL_Texture *texture, const SDL_Rect *rect, const void *pixels,
   *                       int pitch);
   */
  SDL_UpdateTexture: { parameters: ["pointer", "buffer", "buffer", "i32"], result: "i32" },
  /**
   * int SDL_LockTexture(SDL_Texture *texture, const SDL_Rect *rect, void **pixels, int *pitch);
   * -- write-only access to a streaming texture's pixels until SDL_UnlockTexture. The software
   * renderer hands out the texture's own memory, so nothing is copied.
   */
  SDL_LockTexture: { parameters: ["pointer", "buffer", "buffer", "buffer"], result: "i32" },
  /** void SDL_UnlockTexture(SDL_Texture *texture); -- uploads what was written, if needed */
  SDL_UnlockTexture: { parameters: ["pointer"], result: "void" },
  /** void SDL_SetYUVConversionMode(SDL_YUV_CONVERSION_MODE mode); */
  SDL_SetYUVConversionMode: { parameters: ["i32"], result: "void" },
  /**
   * SDL_Surface *SDL_GetWindowSurface(SDL_Window *window); -- the window's framebuffer. SDL's
   * software renderer draws into this very surface, so a frame written here needs no RenderCopy.
   */
  SDL_GetWindowSurface: { parameters: ["pointer"], result: "pointer" },
  /** int SDL_PollEvent(SDL_Event *event); */
  SDL_PollEvent: { parameters: ["buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** The opened SDL2 library. */
export type SdlLibrary = Deno.DynamicLibrary<typeof SDL_SYMBOLS>;

/** SDL_INIT_VIDEO (SDL.h). */
export const SDL_INIT_VIDEO = 0x20;

/** SDL_WindowFlags (SDL_video.h). */
export const SDL_WINDOW_FULLSCREEN = 0x1;
/** Borderless fullscreen at desktop resolution: SDL_WINDOW_FULLSCREEN | 0x1000. */
export const SDL_WINDOW_FULLSCREEN_DESKTOP = 0x1001;
/** SDL_WINDOW_HIDDEN. */
export const SDL_WINDOW_HIDDEN = 0x8;
/** SDL_WINDOW_RESIZABLE. */
export const SDL_WINDOW_RESIZABLE = 0x20;
/** SDL_WINDOWPOS_CENTERED (SDL_WINDOWPOS_CENTERED_MASK | display 0). */
export const SDL_WINDOWPOS_CENTERED = 0x2fff0000;

/** SDL_RendererFlags (SDL_render.h): the renderer draws on the CPU. */
export const SDL_RENDERER_SOFTWARE = 0x1;
/** SDL_RendererFlags: presents are synchronised with the display refresh. */
export const SDL_RENDERER_PRESENTVSYNC = 0x4;
/**
 * SDL_Surface fields on 64-bit systems: Uint32 flags; SDL_PixelFormat *format (offset 8); int w
 * (16), h (20), pitch (24); void *pixels (32). SDL_PixelFormat starts with its Uint32 format.
 */
export const SURFACE_FLAGS_OFFSET = 0;
/** See {@linkcode SURFACE_FLAGS_OFFSET}. */
export const SURFACE_FORMAT_OFFSET = 8;
/** See {@linkcode SURFACE_FLAGS_OFFSET}. */
export const SURFACE_WIDTH_OFFSET = 16;
/** See {@linkcode SURFACE_FLAGS_OFFSET}. */
export const SURFACE_HEIGHT_OFFSET = 20;
/** See {@linkcode SURFACE_FLAGS_OFFSET}. */
export const SURFACE_PITCH_OFFSET = 24;
/** See {@linkcode SURFACE_FLAGS_OFFSET}. */
export const SURFACE_PIXELS_OFFSET = 32;
/** SDL_RLEACCEL: a surface that must be locked before its pixels are touched (SDL_MUSTLOCK). */
export const SDL_RLEACCEL = 0x2;

/** sizeof(SDL_RendererInfo) on 64-bit systems (see SDL_GetRendererInfo above). */
export const SDL_RENDERER_INFO_BYTES = 88;
/** Offset of SDL_RendererInfo.flags (after the 8-byte name pointer). */
export const RENDERER_INFO_FLAGS_OFFSET = 8;

/** SDL_TEXTUREACCESS_STREAMING: texture changes often, lockable (SDL_render.h). */
export const SDL_TEXTUREACCESS_STREAMING = 1;

/** SDL_PIXELFORMAT_IYUV: planar Y + U + V, 4:2:0 (FOURCC 'I','Y','U','V'). */
export const SDL_PIXELFORMAT_IYUV = 0x56555949;
/**
 * SDL_PIXELFORMAT_RGB888 (alias XRGB8888): 32-bit pixels 0x00RRGGBB, so on little-endian machines
 * the bytes are B, G, R, unused: libjpeg-turbo's TJPF_BGRX. The software renderer's native format.
 */
export const SDL_PIXELFORMAT_RGB888 = 0x16161804;
/** SDL_PIXELFORMAT_ABGR8888: on little-endian machines the bytes are R, G, B, A (SDL_RGBA32). */
export const SDL_PIXELFORMAT_ABGR8888 = 0x16762004;
/** SDL_PIXELFORMAT_RGBA8888: on big-endian machines the bytes are R, G, B, A (SDL_RGBA32). */
export const SDL_PIXELFORMAT_RGBA8888 = 0x16462004;

/** SDL_YUV_CONVERSION_JPEG: full-range BT.601, what JFIF JPEGs use (SDL_surface.h). */
export const SDL_YUV_CONVERSION_JPEG = 0;

/**
 * SDL_Event layout (SDL_events.h, SDL 2.x): a 56-byte union whose first field is the Uint32 type.
 * Offsets below are into that buffer.
 */
export const SDL_EVENT_BYTES = 56;
/** SDL_QUIT: the user asked to quit (last window closed, Ctrl-C in some setups). */
export const SDL_QUIT = 0x100;
/** SDL_WINDOWEVENT. */
export const SDL_WINDOWEVENT = 0x200;
/** SDL_KEYDOWN. */
export const SDL_KEYDOWN = 0x300;
/** SDL_MOUSEBUTTONDOWN. */
export const SDL_MOUSEBUTTONDOWN = 0x401;

/**
 * SDL_WindowEvent: type u32 @0, timestamp u32 @4, windowID u32 @8, event u8 @12, padding @13..15,
 * data1 i32 @16, data2 i32 @20.
 */
export const WINDOW_EVENT_ID_OFFSET = 12;
/** SDL_WindowEvent.data1 (new width for SIZE_CHANGED). */
export const WINDOW_EVENT_DATA1_OFFSET = 16;
/** SDL_WindowEvent.data2 (new height for SIZE_CHANGED). */
export const WINDOW_EVENT_DATA2_OFFSET = 20;
/** SDL_WindowEventID: size changed by the user or by the system (fires after RESIZED too). */
export const SDL_WINDOWEVENT_SIZE_CHANGED = 6;
/** SDL_WindowEventID: the window manager asks the window to close. */
export const SDL_WINDOWEVENT_CLOSE = 14;

/**
 * SDL_KeyboardEvent: type @0, timestamp @4, windowID @8, state u8 @12, repeat u8 @13, padding
 * @14..15, keysym @16 = SDL_Keysym { scancode i32 @16, sym i32 @20, mod u16 @24, unused u32 @28 }.
 */
export const KEY_EVENT_REPEAT_OFFSET = 13;
/** SDL_KeyboardEvent.keysym.sym (an SDL_Keycode). */
export const KEY_EVENT_SYM_OFFSET = 20;
/** SDL_Keycode values: printable keys are their lowercase ASCII code. */
export const SDLK_ESCAPE = 27;
/** SDLK_f. */
export const SDLK_F = 0x66;
/** SDLK_q. */
export const SDLK_Q = 0x71;
/** SDLK_s. */
export const SDLK_S = 0x73;

/**
 * SDL_MouseButtonEvent: type @0, timestamp @4, windowID @8, which u32 @12, button u8 @16,
 * state u8 @17, clicks u8 @18 (1 single, 2 double click), padding1 @19, x i32 @20, y i32 @24.
 */
export const MOUSE_BUTTON_OFFSET = 16;
/** SDL_MouseButtonEvent.clicks. */
export const MOUSE_CLICKS_OFFSET = 18;
/** SDL_BUTTON_LEFT. */
export const SDL_BUTTON_LEFT = 1;
