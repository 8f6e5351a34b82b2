export { findPackageRoot, PACKAGE_ROOT, packagePath } from "./paths.ts";
