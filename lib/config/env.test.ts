import { describe, expect, it } from "vitest";
import { envBool, envInt } from "./env.ts";

describe("envBool", () => {
  it("reads the usual spellings of true and false, in any case", () => {
    for (const v of ["1", "true", "TRUE", "yes", "On", " true "]) expect(envBool({ F: v }, "F")).toBe(true);
    for (const v of ["0", "false", "False", "no", "OFF", " 0"]) expect(envBool({ F: v }, "F")).toBe(false);
  });

  it("leaves an unset or empty variable to the caller's default", () => {
    expect(envBool({}, "F")).toBeUndefined();
    expect(envBool({ F: "" }, "F")).toBeUndefined();
    expect(envBool({ F: "  " }, "F")).toBeUndefined();
  });

  it("refuses anything else, naming the variable and what to write", () => {
    expect(() => envBool({ VERDICT_X: "ture" }, "VERDICT_X")).toThrow(
      /VERDICT_X=ture is not a boolean: use true or false/,
    );
    expect(() => envBool({ F: "2" }, "F")).toThrow(/F=2 is not a boolean/);
  });
});

describe("envInt", () => {
  const port = { min: 0, max: 65535, what: "a port" };
  it("reads a whole number within the range; unset or empty is the caller's default", () => {
    expect(envInt({ P: "9464" }, "P", port)).toBe(9464);
    expect(envInt({ P: " 0 " }, "P", port)).toBe(0);
    expect(envInt({}, "P", port)).toBeUndefined();
    expect(envInt({ P: "" }, "P", port)).toBeUndefined();
  });

  it("refuses text, fractions and values out of range, naming the variable and the range", () => {
    expect(() => envInt({ P: "http" }, "P", port)).toThrow("P=http is not a port (0-65535)");
    expect(() => envInt({ P: "80.5" }, "P", port)).toThrow(/not a port/);
    expect(() => envInt({ P: "65536" }, "P", port)).toThrow(/not a port/);
    expect(() => envInt({ R: "0" }, "R", { min: 1, max: 5 })).toThrow("R=0 is not a whole number (1-5)");
  });
});
