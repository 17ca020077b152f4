// Circuits of known logic depth for fenn.hw.depth, built from instantiated UltraScale+
// primitives so that synthesis keeps them as written. Each case ends in its own register.
module depth_cases(input clk, input [7:0] in, output [7:0] out);
  reg [7:0] a;
  always @(posedge clk) a <= in;

  // chain3: three LUT6 in series
  wire c1, c2, c3;
  LUT6 #(.INIT(64'h6996966996696996)) chain_lut1 (.O(c1), .I0(a[0]), .I1(a[1]), .I2(a[2]), .I3(a[3]), .I4(a[4]), .I5(a[5]));
  LUT6 #(.INIT(64'h6996966996696996)) chain_lut2 (.O(c2), .I0(c1), .I1(a[1]), .I2(a[2]), .I3(a[3]), .I4(a[4]), .I5(a[6]));
  LUT6 #(.INIT(64'h6996966996696996)) chain_lut3 (.O(c3), .I0(c2), .I1(a[1]), .I2(a[2]), .I3(a[3]), .I4(a[4]), .I5(a[7]));
  reg chain3;
  always @(posedge clk) chain3 <= c3;

  // carry2: LUT -> CARRY8 (0 levels) -> LUT
  wire s0;
  wire [7:0] sum, co;
  LUT2 #(.INIT(4'h6)) carry_lut_in (.O(s0), .I0(a[0]), .I1(a[1]));
  CARRY8 carry (.CI(1'b0), .CI_TOP(1'b0), .DI({7'b0, a[2]}), .S({a[7:1], s0}), .O(sum), .CO(co));
  wire s1;
  LUT2 #(.INIT(4'h6)) carry_lut_out (.O(s1), .I0(sum[7]), .I1(a[3]));
  reg carry2;
  always @(posedge clk) carry2 <= s1;

  // dsp6: LUT -> DSP48E2 without registers (4) -> LUT: 1 + 4 + 1
  wire d0, d1;
  wire [47:0] p;
  LUT2 #(.INIT(4'h6)) dsp_lut_in (.O(d0), .I0(a[4]), .I1(a[5]));
  DSP48E2 #(.AREG(0), .ACASCREG(0), .BREG(0), .BCASCREG(0), .CREG(0), .DREG(0), .ADREG(0), .MREG(0), .PREG(0),
            .INMODEREG(0), .OPMODEREG(0), .ALUMODEREG(0), .CARRYINREG(0), .CARRYINSELREG(0))
    comb_dsp (.A({29'b0, d0}), .B({17'b0, a[6]}), .C(48'b0), .D(27'b0), .OPMODE(9'b000000101), .ALUMODE(4'b0),
              .INMODE(5'b0), .CARRYIN(1'b0), .CARRYINSEL(3'b0), .P(p), .CLK(clk));
  LUT2 #(.INIT(4'h6)) dsp_lut_out (.O(d1), .I0(p[0]), .I1(a[7]));
  reg dsp6;
  always @(posedge clk) dsp6 <= d1;

  // bram2: a block RAM's output starts a path: DOUT -> LUT -> LUT
  wire [15:0] dout;
  RAMB18E2 bram (.CLKARDCLK(clk), .CLKBWRCLK(clk), .ENARDEN(1'b1), .ENBWREN(1'b1), .ADDRARDADDR({6'b0, a}),
                 .ADDRBWRADDR(14'b0), .DINADIN(16'b0), .WEBWE(4'b0), .DOUTADOUT(dout));
  wire b1, b2;
  LUT2 #(.INIT(4'h6)) bram_lut1 (.O(b1), .I0(dout[0]), .I1(dout[1]));
  LUT2 #(.INIT(4'h6)) bram_lut2 (.O(b2), .I0(b1), .I1(a[0]));
  reg bram2;
  always @(posedge clk) bram2 <= b2;

  // preg: LUT -> DSP48E2 with only PREG: the path ends in the DSP at 1 + 4, and P starts one
  wire r0, r1;
  wire [47:0] q;
  LUT2 #(.INIT(4'h6)) preg_lut_in (.O(r0), .I0(a[2]), .I1(a[3]));
  DSP48E2 #(.AREG(0), .ACASCREG(0), .BREG(0), .BCASCREG(0), .CREG(0), .DREG(0), .ADREG(0), .MREG(0), .PREG(1),
            .INMODEREG(0), .OPMODEREG(0), .ALUMODEREG(0), .CARRYINREG(0), .CARRYINSELREG(0))
    preg_dsp (.A({29'b0, r0}), .B({17'b0, a[1]}), .C(48'b0), .D(27'b0), .OPMODE(9'b000000101), .ALUMODE(4'b0),
              .INMODE(5'b0), .CARRYIN(1'b0), .CARRYINSEL(3'b0), .P(q), .CLK(clk), .CEP(1'b1), .RSTP(1'b0));
  LUT2 #(.INIT(4'h6)) preg_lut_out (.O(r1), .I0(q[0]), .I1(a[6]));
  reg preg1;
  always @(posedge clk) preg1 <= r1;

  assign out = {3'b0, preg1, bram2, dsp6, carry2, chain3};
endmodule
